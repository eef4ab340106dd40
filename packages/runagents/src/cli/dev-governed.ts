/**
 * @module
 * `runagents dev --governed`: the dev agent is registered with the platform as a dev agent
 * (`POST /agents/{name}/dev-session`), so its tool calls go through the platform's egress
 * (policies, approvals, credentials, run events) and its model calls through the gateway, exactly
 * as a deployed agent's. The runtime listens on an internal port the platform invokes and resumes;
 * `--port` serves a front that sends `/invoke` and `/invoke/stream` through the platform's invoke
 * API, so every call is a recorded run. Stopping dev ends the session (`DELETE .../dev-session`).
 */

import { toolEnvKey } from "../agent/errors.js";
import { authHeaders, normalizeEndpoint, workspaceBaseUrl } from "../client/http.js";
import { CliError } from "./args.js";
import type { Ctx } from "./context.js";
import type { ProjectConfig } from "./project.js";

export interface DevSession {
  agent: string;
  /** The workspace API base the front forwards `/invoke` to (`<base>/agents/<name>`). */
  agentApi: string;
  headers: Record<string, string>;
  /** Variables the runtime must get (they replace the developer's own). */
  env: Record<string, string>;
  warnings: string[];
  end(): Promise<void>;
}

interface SessionAnswer {
  agent: string;
  tool_urls: Record<string, string>;
  llm_gateway_url: string;
  governance_url: string;
  tool_definitions: unknown[];
  tool_routes: Record<string, unknown>;
  warnings: string[];
}

async function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new CliError(
      `--governed needs a running platform: ${url.replace(/\/api\/v1.*$/, "")} is unreachable (${reason}); start one with "runagents up"`,
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  if (!res.ok) {
    const message =
      typeof parsed === "object" &&
      parsed !== null &&
      typeof (parsed as { error?: unknown }).error === "string"
        ? (parsed as { error: string }).error
        : text.trim() || res.statusText;
    throw new CliError(`the platform refused the dev session (HTTP ${res.status}): ${message}`);
  }
  return parsed;
}

/** Registers the dev agent `project.name` served at `runtimeUrl` and returns its runtime environment. */
export async function startDevSession(
  ctx: Ctx,
  project: ProjectConfig,
  runtimeUrl: string,
): Promise<DevSession> {
  const config = ctx.config();
  const api = workspaceBaseUrl(normalizeEndpoint(config.endpoint), config.namespace);
  const headers = authHeaders(config.apiKey);
  const name = project.name || "dev-agent";
  const agentApi = `${api}/agents/${encodeURIComponent(name)}`;
  const answer = (await call(`${agentApi}/dev-session`, "POST", headers, {
    url: runtimeUrl,
    tools: project.tools,
    policies: project.policies,
    system_prompt: project.systemPrompt,
    ...(project.model ? { model: project.model } : {}),
  })) as SessionAnswer;
  const env: Record<string, string> = {
    AGENT_NAME: name,
    LLM_GATEWAY_URL: answer.llm_gateway_url,
    GOVERNANCE_URL: answer.governance_url,
    TOOL_NAMES: project.tools.join(","),
    TOOL_DEFINITIONS_JSON: JSON.stringify(answer.tool_definitions),
    TOOL_ROUTES_JSON: JSON.stringify(answer.tool_routes),
  };
  for (const [tool, url] of Object.entries(answer.tool_urls)) env[toolEnvKey(tool)] = url;
  let ended = false;
  return {
    agent: name,
    agentApi,
    headers,
    env,
    warnings: answer.warnings,
    async end() {
      if (ended) return;
      ended = true;
      await call(`${agentApi}/dev-session`, "DELETE", headers).catch((error: unknown) =>
        ctx.err.line(`Notice: could not end the dev session: ${(error as Error).message}`),
      );
    },
  };
}
