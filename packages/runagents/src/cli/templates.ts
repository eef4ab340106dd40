/**
 * @module
 * The files `runagents init` writes, rendered for one project name.
 */

export interface TemplateInput {
  name: string;
  /**
   * `file:` target for the `runagents` dependency: the package this CLI runs from, so the project
   * installs the same SDK without a registry (`""`: the registry's `^sdkVersion`).
   */
  sdkRoot: string;
  sdkVersion: string;
}

const AGENT_TS = `/**
 * The agent's entry point. The runtime calls \`handler\` for every POST /invoke with the request
 * body ({ message, history }) and a context (bound tools, model, session).
 */
import { Agent, type HandlerRequest, type RunContext } from "runagents/agent";

const agent = new Agent();

export async function handler(request: HandlerRequest, ctx: RunContext) {
  const message = request.message.trim() || "Hello!";
  const history = request.history as { role: string; content: string }[];
  const completion = await agent.chat(message, history.length > 0 ? { history } : {});
  return {
    response: completion.choices[0]?.message.content ?? "",
    model: ctx.model,
  };
}
`;

const runagentsYaml = (
  name: string,
): string => `# RunAgents project: read by \`runagents dev\` and \`runagents deploy\`.
name: ${name}
# Tools this agent may call (each becomes TOOL_URL_<NAME>); in dev they answer from a mock server.
tools: []
model:
  provider: openai
  model: gpt-4o-mini
system_prompt: |
  You are a helpful assistant.
entry_point: agent.ts
`;

const packageJson = (input: TemplateInput): string =>
  `${JSON.stringify(
    {
      name: input.name,
      version: "0.1.0",
      private: true,
      type: "module",
      scripts: { dev: "runagents dev", deploy: "runagents deploy", typecheck: "tsc --noEmit" },
      dependencies: { runagents: input.sdkRoot ? `file:${input.sdkRoot}` : `^${input.sdkVersion}` },
      // The optional peers: type checking, runagents.yaml, and the MCP server of .mcp.json.
      devDependencies: { "@modelcontextprotocol/sdk": "^1.32.0", typescript: "^5.9.3", yaml: "^2.9.1" },
    },
    null,
    2,
  )}\n`;

const TSCONFIG = `${JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
    },
    include: ["**/*.ts"],
    exclude: ["node_modules", "dist"],
  },
  null,
  2,
)}\n`;

const agentsMd = (name: string): string => `# ${name}

A RunAgents agent written in TypeScript.

## Layout

- \`agent.ts\`: the entry point; exports \`handler(request, ctx)\`.
- \`runagents.yaml\`: name, tools, model, system prompt and entry point.

## Tools

Declare a tool in \`runagents.yaml\` under \`tools:\`, then call it:

\`\`\`ts
import { PolicyDeniedError } from "runagents/agent";

try {
  const result = await agent.callTool({ name: "my-tool", path: "/search", payload: { q: "x" } });
} catch (error) {
  // A policy denied the call: say so instead of failing the run.
  if (error instanceof PolicyDeniedError) return \`I may not use \${error.tool}: \${error.reason}\`;
  throw error; // ApprovalRequiredError / ConsentRequiredError pause the run; let them propagate
}
\`\`\`

Calls go through the platform's governed egress: policies decide, credentials are injected there.
A call that does not succeed throws a \`ToolCallError\`: \`PolicyDeniedError\` (denied; uncaught, it
fails the run with the reason), \`ApprovalRequiredError\` / \`ConsentRequiredError\` (uncaught, the
run pauses until a human approves or the user consents, then the handler runs again) or
\`ToolHttpError\` (the tool answered non-2xx).

## Commands

- \`runagents dev\`: run locally on :8080 with mock tools on :9090.
- \`runagents deploy\`: deploy from \`runagents.yaml\`.
- \`runagents runs list\`, \`runagents approvals list\`: watch runs and approve tool calls.
`;

const claudeMd = (name: string): string => `# ${name}: guide for AI assistants

## Quick start

\`\`\`sh
npm install
runagents dev            # agent on http://127.0.0.1:8080, mock tools on :9090
curl -X POST localhost:8080/invoke -H 'content-type: application/json' -d '{"message":"Hello"}'
runagents deploy         # deploy from runagents.yaml
\`\`\`

## Handler contract

\`agent.ts\` exports \`async function handler(request, ctx)\`:

- \`request.message\` (string) and \`request.history\` (earlier messages);
- \`ctx.tools\`, \`ctx.model\`, \`ctx.systemPrompt\`, \`ctx.session\`, \`ctx.emit(text)\` (streaming);
- return a string or \`{ response, ... }\`.

Use \`Agent\` from \`runagents/agent\`: \`agent.chat(message, { history, tools })\` talks to the model
through the platform gateway; \`agent.callTool({ name, path, payload, method })\` calls a bound tool.

\`callTool\` throws when the call does not succeed: catch \`PolicyDeniedError\` to tell the user a
policy denied it (uncaught, it fails the run); let \`ApprovalRequiredError\` and
\`ConsentRequiredError\` propagate (the run pauses and the handler is invoked again once approved);
\`ToolHttpError\` carries the tool's \`status\` and \`body\`.

## Rules

- Never put API keys in code or config: the platform injects tool and model credentials.
- Add tools to \`runagents.yaml\` (\`tools:\`) before calling them.
- Keep the handler's return value JSON-serialisable.
`;

const CURSORRULES = `- The agent's entry point is agent.ts: export async function handler(request, ctx).
- Configuration lives in runagents.yaml (name, tools, model, system_prompt, entry_point).
- Use Agent from "runagents/agent": agent.chat(message, { history }) and agent.callTool({ name, path, payload }).
- agent.callTool throws on failure: catch PolicyDeniedError and tell the user; let ApprovalRequiredError and ConsentRequiredError propagate (they pause the run).
- Never hardcode API keys or tokens; the platform injects credentials at its egress and gateway.
- Run locally with \`runagents dev\`; deploy with \`runagents deploy\`.
`;

/**
 * The project's own `runagents-mcp` (node_modules/.bin, so no global install is needed; `--no-install`
 * so npx never reaches for a registry). MCP clients start it in the project folder.
 */
const MCP_JSON = `${JSON.stringify(
  { mcpServers: { runagents: { command: "npx", args: ["--no-install", "runagents-mcp"], env: {} } } },
  null,
  2,
)}\n`;

const GITIGNORE = `node_modules/
dist/
*.tsbuildinfo
.env
.env.*
.DS_Store
`;

/** `{relative path: content}` of every file `init` writes. */
export function renderProject(input: TemplateInput): Record<string, string> {
  return {
    "agent.ts": AGENT_TS,
    "runagents.yaml": runagentsYaml(input.name),
    "package.json": packageJson(input),
    "tsconfig.json": TSCONFIG,
    "AGENTS.md": agentsMd(input.name),
    "CLAUDE.md": claudeMd(input.name),
    ".cursorrules": CURSORRULES,
    ".mcp.json": MCP_JSON,
    ".gitignore": GITIGNORE,
  };
}
