/**
 * @module
 * The top-level commands. Each is loaded only when used, so `runagents --version` imports none.
 */

import type { Command, Group } from "./args.js";

export interface Family {
  summary: string;
  load(): Promise<Command | Group>;
}

export const FAMILIES: Readonly<Record<string, Family>> = {
  init: {
    summary: "Create a new agent project",
    load: async () => (await import("./commands/init.js")).init,
  },
  dev: {
    summary: "Run the agent locally (mock tools, or --governed through the platform)",
    load: async () => (await import("./commands/dev.js")).dev,
  },
  deploy: {
    summary: "Deploy an agent (from runagents.yaml, or flags)",
    load: async () => (await import("./commands/deploy.js")).deploy,
  },
  invoke: {
    summary: "Send a message to a deployed agent and print its reply (--stream, stdin)",
    load: async () => (await import("./commands/invoke.js")).invoke,
  },
  chat: {
    summary: "Talk with a deployed agent, turn by turn, in one conversation",
    load: async () => (await import("./commands/chat.js")).chat,
  },
  up: {
    summary: "Start a local platform in the foreground",
    load: async () => (await import("./commands/up.js")).up,
  },
  agents: {
    summary: "Manage deployed agents",
    load: async () => (await import("./commands/agents.js")).agents,
  },
  tools: { summary: "Manage tools", load: async () => (await import("./commands/tools.js")).tools },
  models: {
    summary: "Manage model providers and spend",
    load: async () => (await import("./commands/models.js")).models,
  },
  runs: { summary: "Inspect and wait for runs", load: async () => (await import("./commands/runs.js")).runs },
  audit: {
    summary: "Export and verify the tamper-evident audit trail",
    load: async () => (await import("./commands/audit.js")).audit,
  },
  approvals: {
    summary: "List, approve and reject access requests",
    load: async () => (await import("./commands/approvals.js")).approvals,
  },
  consents: {
    summary: "List OAuth consents that paused runs wait on",
    load: async () => (await import("./commands/consents.js")).consents,
  },
  "oauth-tokens": {
    summary: "Store or revoke end users' OAuth tokens for delegated-user tools",
    load: async () => (await import("./commands/consents.js")).oauthTokens,
  },
  policies: {
    summary: "Manage policies",
    load: async () => (await import("./commands/policies.js")).policies,
  },
  "identity-providers": {
    summary: "Manage identity providers",
    load: async () => (await import("./commands/identity-providers.js")).identityProviders,
  },
  "api-keys": {
    summary: "Manage API keys (roles and approver groups)",
    load: async () => (await import("./commands/api-keys.js")).apiKeys,
  },
  "approval-connectors": {
    summary: "Manage approval connectors",
    load: async () => (await import("./commands/approval-connectors.js")).approvalConnectors,
  },
  catalog: {
    summary: "Browse and deploy catalog agents",
    load: async () => (await import("./commands/catalog.js")).catalog,
  },
  analyze: {
    summary: "Analyze source files",
    load: async () => (await import("./commands/workspace.js")).analyze,
  },
  "starter-kit": {
    summary: "Seed the starter kit (echo-tool, playground-llm)",
    load: async () => (await import("./commands/workspace.js")).starterKit,
  },
  context: {
    summary: "Export the workspace context",
    load: async () => (await import("./commands/workspace.js")).context,
  },
  action: {
    summary: "Validate and apply action plans",
    load: async () => (await import("./commands/workspace.js")).action,
  },
  config: {
    summary: "Show and change the CLI configuration",
    load: async () => (await import("./commands/config.js")).config,
  },
  version: {
    summary: "Print the version",
    load: async () => (await import("./commands/version.js")).version,
  },
  completion: {
    summary: "Print a shell completion script (bash, zsh, fish)",
    load: async () => (await import("./commands/completion.js")).completion,
  },
};

/** Other names for a family. */
export const ALIASES: Readonly<Record<string, string>> = {
  actions: "action",
  model: "models",
  agent: "agents",
};
