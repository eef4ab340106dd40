/**
 * Sign in with an identity provider of the workspace (when any offers browser sign-in) or with an
 * API key; a refused key, and why the last session ended, are said in words.
 */
import { useEffect, useState } from "preact/hooks";
import { checkKey } from "../api.js";
import { type SignInOption, signInOptions, startSignIn } from "../oidc.js";
import { setApiKey, signedOutBecause } from "../session.js";

export function LoginScreen() {
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<SignInOption[]>([]);
  useEffect(() => {
    void signInOptions().then(setProviders);
  }, []);
  const ended = signedOutBecause.value;
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
    else {
      signedOutBecause.value = "";
      setApiKey(trimmed);
    }
  };
  return (
    <main class="login" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">RunAgents console</h1>
        {ended ? (
          <p class="error" role="alert" data-testid="signed-out-because">
            {ended}
          </p>
        ) : null}
        {providers.length > 0 ? (
          <div class="sign-in-providers">
            {providers.map((p) => (
              <button
                type="button"
                class="primary"
                key={`${p.workspace}/${p.name}`}
                onClick={() => {
                  signedOutBecause.value = "";
                  void startSignIn(p);
                }}
              >
                Sign in with {p.name}
              </button>
            ))}
            <p class="muted small">
              Signed in with a provider, you decide the approval requests your group is named for and chat
              with agents as yourself. Every other screen needs an API key.
            </p>
          </div>
        ) : null}
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
