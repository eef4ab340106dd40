/**
 * @module egress/egress
 * The tool proxy every agent tool call passes through (ARCHITECTURE "Egress"):
 * `ANY /egress/<agent-token>/<tool>/<path>?<query>` → `<tool base URL>/<path>?<query>`.
 *
 * 1. The token names the agent (401 otherwise); the tool must be registered (else 403).
 * 2. `governance/decide`: policies, then capabilities → 403 `POLICY_DENIED` / `CAPABILITY_DENIED`.
 * 3. `approval_required`: the body is read whole (its hash is part of the approval), then a grant
 *    lets it through or the call is blocked (`egress/approval`) → 403 `APPROVAL_REQUIRED`.
 * 4. Allowed: the agent's `Authorization`, identity and hop-by-hop headers are dropped,
 *    `X-End-User-ID` and the tool's credentials are set (credentials are resolved before step 3:
 *    502 `CREDENTIALS_UNAVAILABLE` when they cannot be), `TOOL_REQUEST` is recorded (a call that
 *    cannot be recorded does not go out), the call is forwarded and the answer streamed back,
 *    then `TOOL_RESPONSE` is recorded. A delegated-user OAuth2 tool (`authUrl` set) gets its end
 *    user's token instead (`egress/consent`), or the call is paused for consent → 403 `CONSENT_REQUIRED`.
 *
 * Request bodies up to 1 MiB with a declared length are buffered (so `TOOL_REQUEST` carries their
 * hash); larger or chunked ones stream through and their hash is on `TOOL_RESPONSE`
 * (`request_payload_hash`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "../errors.js";
import { resolveAgentToken } from "../governance/agent-identity.js";
import type { ApprovalEvents } from "../governance/approvals.js";
import { type CallEvaluation, decidingRule, evaluateCall } from "../governance/decide.js";
import { type ToolInfo, toolInfo } from "../governance/tool-info.js";
import type { Logger } from "../log.js";
import type { Doc, Store } from "../store/store.js";
import { block, useGrant } from "./approval.js";
import { DelegatedAuth, isDelegated } from "./consent.js";
import { CredentialInjector } from "./credentials.js";
import { createPools, forward, forwardableHeaders, type Pools, sha256 } from "./forward.js";
import {
  type CallIdentity,
  type CallRecord,
  header,
  RunResolver,
  recordRequest,
  recordResponse,
} from "./record.js";

export interface EgressDeps {
  store: Store;
  approvals: ApprovalEvents;
  log: Logger;
  config: { maxBodyBytes: number };
  /** The platform's root URL (the default OAuth callback is under it). */
  baseUrl(): string;
}

export interface EgressCall {
  token: string;
  tool: string;
  req: IncomingMessage;
  requestId: string;
}

/** What the route returns: a JSON answer, or a stream the egress writes itself. */
export interface EgressAnswer {
  status: number;
  body?: unknown;
  stream?: (res: ServerResponse) => Promise<void>;
}

const BUFFER_LIMIT = 1024 * 1024;
/** The egress sets these itself; an agent cannot supply them. */
const DROPPED = new Set(["host", "authorization", "x-end-user-id", "content-length"]);
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

export class Egress {
  readonly pools: Pools = createPools();
  readonly credentials: CredentialInjector;
  readonly delegated: DelegatedAuth;
  readonly #runs: RunResolver;

  constructor(private readonly deps: EgressDeps) {
    this.credentials = new CredentialInjector(deps.store);
    this.delegated = new DelegatedAuth(deps);
    this.#runs = new RunResolver(deps.store);
  }

  close(): void {
    this.pools.close();
  }

  async handle(call: EgressCall): Promise<EgressAnswer> {
    const { store } = this.deps;
    const rawPath = (call.req.url ?? "").split("?")[0] as string;
    if (DOT_SEGMENT.test(rawPath))
      throw new HttpError(400, "the tool path must not contain . or .. segments");
    const agent = await resolveAgentToken(store, call.token);
    if (!agent) throw new HttpError(401, "invalid or revoked agent token");
    const ws = agent.workspace;
    const record = await store.readResource(ws, "tool", call.tool);
    if (!record) {
      throw new HttpError(403, "operation denied", {
        code: "POLICY_DENIED",
        details: { tool: call.tool, reason: `tool ${call.tool} is not registered` },
      });
    }
    const tool = toolInfo(record);
    const url = upstreamUrl(tool, call.req.url ?? "");
    const method = (call.req.method ?? "GET").toUpperCase();
    const headers = call.req.headers;
    const run = await this.#runs.resolve(ws, agent.agent, header(headers, "x-run-id"));
    const identity: CallIdentity = {
      workspace: ws,
      agent: agent.agent,
      userId: run?.userId || header(headers, "x-end-user-id"),
      actionId: header(headers, "x-action-id"),
      requestId: call.requestId,
    };
    if (run) identity.run = run;
    const evaluation = await evaluateCall(store, { workspace: ws, agent: agent.agent, tool, method, url });
    const described: CallRecord = {
      tool: tool.name,
      method,
      url: url.href,
      capability: evaluation.capability.matched?.name ?? "",
    };
    if (evaluation.decision === "deny") return this.#deny(identity, described, evaluation);
    // Credentials first: a call that cannot be made is neither sent for approval nor spends a grant.
    const outgoing = forwardableHeaders(headers, DROPPED);
    if (identity.userId) outgoing["x-end-user-id"] = identity.userId;
    const delegation = isDelegated(tool)
      ? await this.delegated.apply(identity, described, tool, outgoing)
      : await this.credentials.apply(ws, tool, outgoing, url);
    if (delegation?.blocked) return { status: 403, body: delegation.blocked };

    let body: Buffer | IncomingMessage = call.req;
    let payloadHash = "";
    if (evaluation.decision === "approval_required" || bufferable(call.req)) {
      body = await readAll(call.req, this.deps.config.maxBodyBytes);
      payloadHash = sha256(body);
    }
    let grantId = "";
    if (evaluation.decision === "approval_required") {
      const grant = await useGrant(store, identity, described, payloadHash);
      if (!grant) {
        await recordRequest(store, identity, described, payloadHash, {
          decision: "approval_required",
          rule: decidingRule(evaluation),
          reason: evaluation.reason,
        });
        return {
          status: 403,
          body: await block(this.deps, identity, described, payloadHash, evaluation.tags),
        };
      }
      grantId = grant.id;
    }
    try {
      const extra: Doc = { decision: "allow", rule: decidingRule(evaluation) };
      if (grantId) extra.grant_id = grantId;
      if (identity.userId) extra.end_user_id = identity.userId;
      await recordRequest(store, identity, described, payloadHash, extra);
    } catch (error) {
      this.deps.log.error("egress could not record a tool call", { tool: tool.name, error: String(error) });
      throw new HttpError(503, "the tool call could not be recorded, so it was not made", {
        code: "RECORDING_FAILED",
      });
    }
    if (body instanceof Buffer) {
      if (body.length > 0 || !["GET", "HEAD", "DELETE", "OPTIONS"].includes(method)) {
        outgoing["content-length"] = String(body.length);
      }
    } else if (headers["content-length"] !== undefined) {
      outgoing["content-length"] = headers["content-length"];
    }
    return {
      status: 200,
      stream: async (res) => {
        const outcome = await forward(
          this.pools,
          { tool: tool.name, method, url, headers: outgoing, body, timeoutMs: tool.timeoutMs },
          res,
        );
        if (outcome.status === 401 && delegation?.used)
          await this.delegated.invalidate(ws, tool, delegation.used);
        else if (outcome.status === 401 && tool.auth.type === "OAuth2") this.credentials.invalidate(ws, tool);
        const extra: Doc = { duration_ms: outcome.durationMs, response_bytes: outcome.responseBytes };
        if (!payloadHash) extra.request_payload_hash = outcome.requestHash;
        if (outcome.error) extra.error = outcome.error;
        await recordResponse(store, identity, described, outcome.status, outcome.responseHash, extra).catch(
          (error: unknown) =>
            this.deps.log.error("egress could not record a tool response", {
              tool: tool.name,
              error: String(error),
            }),
        );
      },
    };
  }

  async #deny(identity: CallIdentity, call: CallRecord, evaluation: CallEvaluation): Promise<EgressAnswer> {
    const code = evaluation.code ?? "POLICY_DENIED";
    const body = {
      error: code === "CAPABILITY_DENIED" ? "operation not permitted" : "operation denied",
      code,
      tool: call.tool,
      reason: evaluation.reason,
      method: call.method,
      url: call.url,
    };
    const { store } = this.deps;
    await recordRequest(store, identity, call, "", {
      decision: "deny",
      rule: decidingRule(evaluation),
      code,
      reason: evaluation.reason,
    });
    await recordResponse(store, identity, call, 403, "", { code, error: evaluation.reason });
    return { status: 403, body };
  }
}

/** `<base URL><path after /egress/<token>/<tool>><query>` (dot segments were refused before). */
export function upstreamUrl(tool: ToolInfo, rawUrl: string): URL {
  const match = /^\/egress\/[^/?]+\/[^/?]+(\/[^?]*)?(\?.*)?$/.exec(rawUrl);
  if (!match) throw new HttpError(400, "malformed egress path: expected /egress/<agent-token>/<tool>/<path>");
  const suffix = match[1] ?? "";
  if (!tool.baseUrl)
    throw new HttpError(502, `tool ${tool.name} has no base URL`, { code: "TOOL_MISCONFIGURED" });
  try {
    return new URL(`${tool.baseUrl}${suffix}${match[2] ?? ""}`);
  } catch {
    throw new HttpError(400, "the tool path is not a valid URL path");
  }
}

/** Small bodies with a declared length (and no body at all) are read before forwarding. */
function bufferable(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return false;
  const length = Number(req.headers["content-length"] ?? "0");
  return Number.isFinite(length) && length <= BUFFER_LIMIT;
}

function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (
    req.headers["content-length"] === "0" ||
    (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined)
  ) {
    req.resume();
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () =>
      new HttpError(413, `request body too large: the limit is ${limit} bytes`, {
        headers: { Connection: "close" },
      });
    if (Number(req.headers["content-length"] ?? "0") > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on("error", (err) => reject(new HttpError(400, `could not read the request body: ${err.message}`)));
  });
}

const instances = new WeakMap<object, Egress>();

/** The egress of one platform (`services`), created on first use. */
export function egressFor(services: EgressDeps): Egress {
  let egress = instances.get(services);
  if (!egress) {
    egress = new Egress(services);
    instances.set(services, egress);
  }
  return egress;
}

/** Drops the platform's pooled upstream connections (on shutdown). */
export function closeEgress(services: object): void {
  instances.get(services)?.close();
  instances.delete(services);
}
