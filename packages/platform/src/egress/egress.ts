/**
 * @module egress/egress
 * The tool proxy every agent tool call passes through (ARCHITECTURE "Egress"):
 * `ANY /egress/<agent-token>/<tool>/<path>?<query>` → `<tool base URL>/<path>?<query>`.
 *
 * 0. The path has one canonical form (`egress/path`: encoded separators, double encoding and dot
 *    segments are 400); policy, capabilities and the forwarded call all use it. A tool on the
 *    platform itself reaches only `/echo` (`egress/targets`).
 * 1. The token names the agent (401 otherwise); the tool must be registered (else 403). The run
 *    and the end user come from `X-Run-ID` only as `egress/record` allows (never `X-End-User-ID`);
 *    a call without a run is audited on an implicit run of its own, and so is every refusal.
 * 2. `governance/decide`: policies, then capabilities → 403 `POLICY_DENIED` / `CAPABILITY_DENIED`.
 * 3. `approval_required`: the body is read whole (its hash is part of the approval), then a grant
 *    lets it through or the call is blocked (`egress/approval`) → 403 `APPROVAL_REQUIRED`; a replay
 *    of an approved call that was already made (`X-Action-ID`, action EXECUTED) → 409 `ALREADY_EXECUTED`.
 * 4. Allowed: the agent's `Authorization`, identity and hop-by-hop headers are dropped,
 *    `X-End-User-ID` (the run's user) and the tool's credentials are set (credentials are resolved before step 3:
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
import {
  describeRequestSpan,
  injectTraceHeaders,
  requestSpanEvent,
  tracingOn,
} from "../observability/tracing.js";
import type { Doc, Store } from "../store/store.js";
import { alreadyExecuted, block, useGrant } from "./approval.js";
import { DelegatedAuth, isDelegated } from "./consent.js";
import { CredentialInjector } from "./credentials.js";
import { createPools, forward, forwardableHeaders, type Pools, sha256 } from "./forward.js";
import { canonicalToolPath } from "./path.js";
import {
  type CallIdentity,
  type CallRecord,
  header,
  RunResolver,
  recordDenial,
  recordRequest,
  recordResponse,
} from "./record.js";
import { checkForwardTarget } from "./targets.js";

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
    const agent = await resolveAgentToken(this.deps.store, call.token);
    if (!agent) throw new HttpError(401, "invalid or revoked agent token");
    const headers = call.req.headers;
    const claimed = header(headers, "x-run-id");
    const run = await this.#runs.resolve(agent.workspace, agent.agent, claimed);
    const identity: CallIdentity = {
      workspace: agent.workspace,
      agent: agent.agent,
      userId: run?.userId ?? "",
      actionId: header(headers, "x-action-id"),
      requestId: call.requestId,
    };
    if (run) identity.run = run;
    else if (claimed) identity.claimedRunId = claimed.slice(0, 200);
    const method = (call.req.method ?? "GET").toUpperCase();
    const described: CallRecord = { tool: call.tool, method, url: "", capability: "" };
    try {
      const answer = await this.#govern(call, identity, described);
      // An out-of-run call answered by the egress itself (approval or consent needed): close its audit run.
      if (!answer.stream && !identity.run && !identity.responded) {
        const code = (answer.body as { code?: unknown } | undefined)?.code;
        await recordResponse(this.deps.store, identity, described, answer.status, "", code ? { code } : {});
      }
      return answer;
    } catch (error) {
      await this.#recordRefusal(identity, described, error);
      throw error;
    }
  }

  /** Everything after the agent's identity; `described` is filled in as the call becomes known. */
  async #govern(call: EgressCall, identity: CallIdentity, described: CallRecord): Promise<EgressAnswer> {
    const { store } = this.deps;
    const ws = identity.workspace;
    const { suffix, query } = splitEgressUrl(call.req.url ?? "");
    const path = canonicalToolPath(suffix);
    const record = await store.readResource(ws, "tool", call.tool);
    if (!record) {
      throw new HttpError(403, "operation denied", {
        code: "POLICY_DENIED",
        details: { tool: call.tool, reason: `tool ${call.tool} is not registered` },
      });
    }
    const tool = toolInfo(record);
    const url = upstreamUrl(tool, path, query);
    checkForwardTarget(tool, url, this.deps.baseUrl());
    const method = described.method;
    const headers = call.req.headers;
    described.url = url.href;
    const evaluation = await evaluateCall(store, { workspace: ws, agent: identity.agent, tool, method, url });
    described.capability = evaluation.capability.matched?.name ?? "";
    if (tracingOn())
      describeRequestSpan(`execute_tool ${tool.name}`, {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool.name,
        "runagents.decision": evaluation.decision,
        "runagents.rule": decidingRule(evaluation),
        "runagents.agent": identity.agent,
        "runagents.run.id": identity.run?.id ?? "",
        "runagents.user.id": identity.userId,
      });
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
      if (!grant && (await alreadyExecuted(store, identity, described, payloadHash))) {
        return this.#refuseRepeat(identity, described, payloadHash);
      }
      if (!grant) {
        await recordRequest(store, identity, described, payloadHash, {
          decision: "approval_required",
          rule: decidingRule(evaluation),
          reason: evaluation.reason,
        });
        const blocked = await block(this.deps, identity, described, payloadHash, evaluation.tags);
        requestSpanEvent("approval_required", {
          "runagents.approval.request_id": String(blocked.request_id ?? ""),
          "runagents.action.id": String(blocked.action_id ?? ""),
          "runagents.payload_hash": payloadHash,
        });
        return { status: 403, body: blocked };
      }
      grantId = grant.id;
      requestSpanEvent("approval_granted", { "runagents.grant.id": grant.id });
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
    // The tool's spans join the trace under this call, whatever traceparent the agent sent.
    injectTraceHeaders(outgoing);
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

  /** A call the egress refused by throwing (bad path, unknown tool, no end user, ...) is audited too. */
  async #recordRefusal(identity: CallIdentity, call: CallRecord, error: unknown): Promise<void> {
    if (identity.responded) return;
    const status = error instanceof HttpError ? error.status : 500;
    const code = error instanceof HttpError ? error.code : undefined;
    const reason = error instanceof HttpError ? error.message : "internal error";
    const { store } = this.deps;
    try {
      if (!identity.requested)
        await recordRequest(store, identity, call, "", { decision: "refused", ...(code ? { code } : {}) });
      await recordResponse(store, identity, call, status, "", { ...(code ? { code } : {}), error: reason });
    } catch (recording) {
      this.deps.log.error("egress could not record a refused tool call", {
        tool: call.tool,
        error: String(recording),
      });
    }
  }

  /** 409 `ALREADY_EXECUTED`: the approved call named by `X-Action-ID` was made once already. */
  async #refuseRepeat(identity: CallIdentity, call: CallRecord, payloadHash: string): Promise<EgressAnswer> {
    const error = `the approved call of action ${identity.actionId} was already made once; it is not sent again`;
    const code = "ALREADY_EXECUTED";
    const { store } = this.deps;
    await recordRequest(store, identity, call, payloadHash, { decision: "deny", code, reason: error });
    await recordResponse(store, identity, call, 409, "", { code, error });
    return {
      status: 409,
      body: {
        error,
        code,
        action_id: identity.actionId,
        tool: call.tool,
        method: call.method,
        url: call.url,
      },
    };
  }

  /**
   * 403 `{error, code, tool, reason, method, url, rule?}`; on a run, `TOOL_REQUEST` (decision deny)
   * and `TOOL_DENIED` are recorded before the agent hears of it, so they precede the run's outcome.
   */
  async #deny(identity: CallIdentity, call: CallRecord, evaluation: CallEvaluation): Promise<EgressAnswer> {
    const code = evaluation.code ?? "POLICY_DENIED";
    const rule = code === "POLICY_DENIED" ? deciding(evaluation) : undefined;
    const body: Doc = {
      error: code === "CAPABILITY_DENIED" ? "operation not permitted" : "operation denied",
      code,
      tool: call.tool,
      reason: evaluation.reason,
      method: call.method,
      url: call.url,
    };
    if (rule) body.rule = rule;
    const { store } = this.deps;
    const extra: Doc = { decision: "deny", code, reason: evaluation.reason };
    if (rule) extra.rule = rule;
    await recordRequest(store, identity, call, "", { ...extra, rule: decidingRule(evaluation) });
    await recordDenial(store, identity, call, extra);
    return { status: 403, body };
  }
}

/** The rule that denied a call, when one did (a default deny has none). */
function deciding(evaluation: CallEvaluation): Doc | undefined {
  const rule = evaluation.decisive[0];
  if (!rule || evaluation.decision !== "deny") return undefined;
  const out: Doc = {
    policy: rule.policy,
    index: rule.index,
    permission: rule.permission,
    operations: [...rule.operations],
    resource: rule.resource,
  };
  if (rule.tags.length > 0) out.tags = [...rule.tags];
  return out;
}

/** The path after `/egress/<token>/<tool>` and the query (with its `?`), as the agent sent them. */
export function splitEgressUrl(rawUrl: string): { suffix: string; query: string } {
  const match = /^\/egress\/[^/?]+\/[^/?]+(\/[^?]*)?(\?.*)?$/.exec(rawUrl);
  if (!match) throw new HttpError(400, "malformed egress path: expected /egress/<agent-token>/<tool>/<path>");
  return { suffix: match[1] ?? "", query: match[2] ?? "" };
}

/** `<base URL><canonical path><query>`: the URL policy is evaluated on and the call goes to. */
export function upstreamUrl(tool: ToolInfo, path: string, query: string): URL {
  if (!tool.baseUrl)
    throw new HttpError(502, `tool ${tool.name} has no base URL`, { code: "TOOL_MISCONFIGURED" });
  try {
    return new URL(`${tool.baseUrl}${path}${query}`);
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
