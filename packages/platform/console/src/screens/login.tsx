/** Sign in with an API key; a refused key is said so in words. */
import { useState } from "preact/hooks";
import { checkKey } from "../api.js";
import { setApiKey } from "../session.js";

export function LoginScreen() {
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setProblem("Enter an API key.");
      return;
    }
    setBusy(true);
    const refused = await checkKey(trimmed);
    setBusy(false);
    if (refused) setProblem(refused);
    else setApiKey(trimmed);
  };
  return (
    <main class="login" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">RunAgents console</h1>
        <p class="muted">
          Sign in with a workspace API key. On this machine the platform's admin key is the{" "}
          <code>apiKey</code> in <code>~/.runagents/config.json</code>, and <code>npm start</code> prints a
          sign-in link.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          placeholder="ra_ws_…"
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby={problem ? "login-problem" : undefined}
          aria-invalid={problem ? true : undefined}
        />
        {problem ? (
          <p class="error" id="login-problem" role="alert">
            {problem}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
