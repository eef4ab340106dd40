/** The shell: sign-in gate, navigation with the live approvals badge, and the screen for the route. */

import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { connectFeed, forgetFeed, liveStatus, pendingApprovals } from "./live.js";
import { finishSignIn } from "./oidc.js";
import { href, navigate, route } from "./router.js";
import { AgentsScreen } from "./screens/agents.js";
import { ApprovalsScreen } from "./screens/approvals.js";
import { DashboardScreen } from "./screens/dashboard.js";
import { DeployScreen } from "./screens/deploy.js";
import { LoginScreen } from "./screens/login.js";
import { ModelsScreen } from "./screens/models.js";
import { NeedsKeyScreen } from "./screens/needs-key.js";
import { PlaygroundScreen } from "./screens/playground.js";
import { PoliciesScreen } from "./screens/policies.js";
import { RunDetailScreen, RunsScreen } from "./screens/runs.js";
import { SettingsScreen } from "./screens/settings.js";
import { ToolsScreen } from "./screens/tools.js";
import {
  apiKey,
  idToken,
  setApiKey,
  signedInUser,
  signOut,
  takeFragmentKey,
  tokenClaims,
  workspace,
} from "./session.js";

const fragmentKey = takeFragmentKey();
if (fragmentKey) setApiKey(fragmentKey);

/** True while the provider's answer in the address is being turned into a session. */
const finishing = signal(/[?&](code|error)=/.test(location.search));
if (finishing.value) {
  void finishSignIn().then((problem) => {
    if (problem) signOut(problem);
    else navigate("approvals");
    finishing.value = false;
  });
}

/** An ID token past its expiry ends the session before any call is made with it. */
function expired(token: string): boolean {
  const exp = tokenClaims(token).exp;
  return typeof exp !== "number" || exp * 1000 <= Date.now();
}

/** The screens a person signed in through an identity provider can use (end-user routes). */
const USER_SECTIONS = new Set(["approvals", "playground"]);

const NAV: [string, string][] = [
  ["", "Dashboard"],
  ["approvals", "Approvals"],
  ["playground", "Playground"],
  ["runs", "Runs"],
  ["agents", "Agents"],
  ["models", "Models"],
  ["tools", "Tools"],
  ["policies", "Policies"],
  ["settings", "Settings"],
];

export function App() {
  const token = idToken.value;
  const asUser = token !== "";
  const signedIn = apiKey.value !== "" || asUser;
  useEffect(() => {
    // A signed-in person's feed carries their approvals count and their own runs' events.
    if (!signedIn || (asUser && expired(token))) return;
    void connectFeed();
    return () => forgetFeed();
  }, [signedIn, token, workspace.value]);
  useEffect(() => {
    if (asUser && expired(token)) signOut("Your sign-in has expired: sign in again.");
  }, [token]);
  if (finishing.value) {
    return (
      <main class="login" id="main">
        <p class="card" role="status">
          Signing you in…
        </p>
      </main>
    );
  }
  if (!signedIn) return <LoginScreen />;
  const user = asUser ? signedInUser() : undefined;
  const [section = "", ...rest] = route.value;
  const pending = pendingApprovals.value;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href()}>
          RunAgents
        </a>
        {workspace.value !== "default" ? (
          <span class="muted small" data-testid="workspace">
            workspace {workspace.value}
          </span>
        ) : null}
        {user ? (
          <span class="small" data-testid="signed-in-as">
            Signed in as {user.email || user.name || user.subject}
          </span>
        ) : null}
        <span class={`live ${liveStatus.value}`} role="status">
          {liveStatus.value === "live" ? "Live" : liveStatus.value === "off" ? "Offline" : "Reconnecting…"}
        </span>
        <button type="button" class="link" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <nav class="nav" aria-label="Console">
        <ul>
          {NAV.map(([path, label]) => (
            <li key={path}>
              <a href={href(...(path ? [path] : []))} aria-current={section === path ? "page" : undefined}>
                {label}
                {path === "approvals" && pending ? (
                  <span class="badge" data-testid="inbox-badge">
                    {pending}
                    <span class="sr-only"> pending</span>
                  </span>
                ) : null}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {asUser && !USER_SECTIONS.has(section) ? (
          <NeedsKeyScreen section={NAV.find(([p]) => p === section)?.[1] ?? "This screen"} />
        ) : (
          <Screen key={workspace.value} section={section} rest={rest} />
        )}
      </main>
    </div>
  );
}

function Screen({ section, rest }: { section: string; rest: string[] }) {
  switch (section) {
    case "approvals":
      return <ApprovalsScreen />;
    case "playground":
      return <PlaygroundScreen agent={rest[0] ?? ""} />;
    case "runs":
      return rest[0] ? <RunDetailScreen id={rest[0]} /> : <RunsScreen />;
    case "agents":
      return <AgentsScreen name={rest[0] ?? ""} />;
    case "deploy":
      return <DeployScreen />;
    case "models":
      return <ModelsScreen />;
    case "tools":
      return <ToolsScreen />;
    case "policies":
      return <PoliciesScreen />;
    case "settings":
      return <SettingsScreen />;
    default:
      return <DashboardScreen />;
  }
}
