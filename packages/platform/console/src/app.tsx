/** The shell: sign-in gate, navigation with the live approvals badge, and the screen for the route. */
import { useEffect } from "preact/hooks";
import { connectFeed, liveStatus, pendingApprovals, stopFeed } from "./live.js";
import { href, route } from "./router.js";
import { AgentsScreen } from "./screens/agents.js";
import { ApprovalsScreen } from "./screens/approvals.js";
import { DashboardScreen } from "./screens/dashboard.js";
import { DeployScreen } from "./screens/deploy.js";
import { LoginScreen } from "./screens/login.js";
import { ModelsScreen } from "./screens/models.js";
import { PlaygroundScreen } from "./screens/playground.js";
import { PoliciesScreen } from "./screens/policies.js";
import { RunDetailScreen, RunsScreen } from "./screens/runs.js";
import { SettingsScreen } from "./screens/settings.js";
import { ToolsScreen } from "./screens/tools.js";
import { apiKey, setApiKey, signOut, takeFragmentKey, workspace } from "./session.js";

const fragmentKey = takeFragmentKey();
if (fragmentKey) setApiKey(fragmentKey);

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
  const signedIn = apiKey.value !== "";
  useEffect(() => {
    if (!signedIn) return;
    void connectFeed();
    return () => stopFeed();
  }, [signedIn, workspace.value]);
  if (!signedIn) return <LoginScreen />;
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
        <span class={`live ${liveStatus.value}`} role="status">
          {liveStatus.value === "live" ? "Live" : liveStatus.value === "off" ? "Offline" : "Reconnecting…"}
        </span>
        <button type="button" class="link" onClick={signOut}>
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
        <Screen key={workspace.value} section={section} rest={rest} />
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
