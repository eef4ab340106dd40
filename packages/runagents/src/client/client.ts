/**
 * @module
 * The RunAgents platform `Client`: configuration, the resource namespaces and the low-level verbs.
 */

import {
  type ConfigLocation,
  configPath,
  DEFAULT_CONFIG,
  endpointProblem,
  loadConfig,
  type RunAgentsConfig,
} from "../config.js";
import { ConfigError } from "../errors.js";
import { ActionsResource } from "./actions.js";
import { AgentsResource } from "./agents.js";
import { ApiKeysResource } from "./api-keys.js";
import { ApprovalsResource } from "./approvals.js";
import { AuditResource } from "./audit.js";
import { ApprovalConnectorsResource } from "./connectors.js";
import { ConsentsResource, OAuthTokensResource } from "./consents.js";
import {
  type CallOptions,
  type FetchLike,
  normalizeEndpoint,
  type Query,
  Transport,
  workspaceBaseUrl,
} from "./http.js";
import { IdentityProvidersResource } from "./identity-providers.js";
import { ModelSpendResource, ModelsResource } from "./models.js";
import { obj, toAnalysisResult } from "./parse.js";
import { PoliciesResource } from "./policies.js";
import { RunsResource } from "./runs.js";
import { ToolsResource } from "./tools.js";
import type { AnalysisResult, JsonObject } from "./types.js";

export interface ClientOptions {
  /** Platform URL; normalised to its `/api/v1` base. Default: config file / `RUNAGENTS_ENDPOINT`. */
  endpoint?: string;
  /** `ra_ws_*` keys go in `X-RunAgents-API-Key`, others as Bearer; `""` means no key. */
  apiKey?: string;
  /** Workspace; any value other than `default` addresses `/api/v1/workspaces/{namespace}`. */
  namespace?: string;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /** Injected fetch (tests, proxies). @default globalThis.fetch */
  fetch?: FetchLike;
  /** Aborts every request of this client. */
  signal?: AbortSignal;
  /** Where to read the config file and environment from when an option above is missing. */
  config?: ConfigLocation;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export class Client {
  /** The configured endpoint (trailing `/` stripped). */
  readonly endpoint: string;
  /** The URL every relative path is joined to: the normalised endpoint plus the workspace. */
  readonly baseUrl: string;
  readonly namespace: string;

  readonly agents: AgentsResource;
  readonly tools: ToolsResource;
  readonly models: ModelsResource;
  readonly modelSpend: ModelSpendResource;
  readonly runs: RunsResource;
  readonly approvals: ApprovalsResource;
  readonly consents: ConsentsResource;
  readonly oauthTokens: OAuthTokensResource;
  readonly policies: PoliciesResource;
  readonly identityProviders: IdentityProvidersResource;
  readonly approvalConnectors: ApprovalConnectorsResource;
  readonly actions: ActionsResource;
  /** Workspace API keys: list, create (role, groups), revoke. Admin keys only. */
  readonly apiKeys: ApiKeysResource;
  readonly audit: AuditResource;

  readonly #transport: Transport;
  readonly #apiRoot: string;

  /**
   * Explicit options win over `RUNAGENTS_*` variables, which win over `~/.runagents/config.json`, which
   * wins over the defaults. The config is not read when endpoint, apiKey and namespace are all given.
   */
  constructor(options: ClientOptions = {}) {
    const complete = Boolean(options.endpoint) && options.apiKey !== undefined && Boolean(options.namespace);
    const config: RunAgentsConfig = complete ? { ...DEFAULT_CONFIG } : loadConfig(options.config);
    this.endpoint = (options.endpoint || config.endpoint).trim().replace(/\/+$/, "");
    const problem = endpointProblem(this.endpoint);
    if (problem) {
      throw new ConfigError(`invalid endpoint "${this.endpoint}": ${problem}`, configPath(options.config));
    }
    this.namespace = (options.namespace || config.namespace).trim() || "default";
    const normalized = normalizeEndpoint(this.endpoint);
    const workspaces = normalized.indexOf("/api/v1/workspaces/");
    this.#apiRoot = workspaces >= 0 ? normalized.slice(0, workspaces + "/api/v1".length) : normalized;
    this.baseUrl = workspaceBaseUrl(normalized, this.namespace);
    this.#transport = new Transport({
      baseUrl: this.baseUrl,
      apiKey: options.apiKey ?? config.apiKey,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch,
      signal: options.signal,
    });

    const t = this.#transport;
    this.agents = new AgentsResource(t, (namespace) => this.#baseFor(namespace));
    this.tools = new ToolsResource(t);
    this.models = new ModelsResource(t);
    this.modelSpend = new ModelSpendResource(t);
    this.runs = new RunsResource(t);
    this.approvals = new ApprovalsResource(t);
    this.consents = new ConsentsResource(t);
    this.oauthTokens = new OAuthTokensResource(t);
    this.policies = new PoliciesResource(t);
    this.identityProviders = new IdentityProvidersResource(t);
    this.approvalConnectors = new ApprovalConnectorsResource(t);
    this.actions = new ActionsResource(t);
    this.apiKeys = new ApiKeysResource(t);
    this.audit = new AuditResource(t);
  }

  /**
   * The base URL for a namespace named in a single call: the client's own base for `""` or the client's
   * namespace; the un-workspaced API root for `default`; `/api/v1/workspaces/{namespace}` otherwise.
   */
  #baseFor(namespace: string): string {
    const ns = namespace.trim();
    if (ns === "" || ns === this.namespace) return this.baseUrl;
    if (ns === "default") return this.#apiRoot;
    return `${this.#apiRoot}/workspaces/${encodeURIComponent(ns)}`;
  }

  /** POST /analyze `{files: {filename: source}}`: detect tools, models, secrets and requirements. */
  async analyze(files: Record<string, string>, options: CallOptions = {}): Promise<AnalysisResult> {
    return toAnalysisResult(
      await this.#transport.request("POST", "/analyze", { ...options, body: { files } }),
    );
  }

  /** GET /context/export: the whole workspace snapshot, as returned. */
  async exportContext(options: CallOptions = {}): Promise<JsonObject> {
    return obj(await this.#transport.request("GET", "/context/export", options));
  }

  /** POST /starter-kit (no body): idempotently create `echo-tool` and `playground-llm`. */
  async seedStarterKit(options: CallOptions = {}): Promise<JsonObject> {
    return obj(await this.#transport.request("POST", "/starter-kit", options));
  }

  /** GET `path` (relative to the base, or an absolute http(s) URL); list values become repeated keys. */
  get(path: string, query?: Query, options: CallOptions = {}): Promise<unknown> {
    return this.#transport.request("GET", path, { ...options, query });
  }

  post(path: string, body?: unknown, options: CallOptions = {}): Promise<unknown> {
    return this.#transport.request("POST", path, { ...options, body });
  }

  put(path: string, body?: unknown, options: CallOptions = {}): Promise<unknown> {
    return this.#transport.request("PUT", path, { ...options, body });
  }

  patch(path: string, body?: unknown, options: CallOptions = {}): Promise<unknown> {
    return this.#transport.request("PATCH", path, { ...options, body });
  }

  delete(path: string, options: CallOptions = {}): Promise<unknown> {
    return this.#transport.request("DELETE", path, options);
  }

  toString(): string {
    return `Client(endpoint='${this.endpoint}')`;
  }
}
