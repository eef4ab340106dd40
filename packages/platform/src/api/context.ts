/**
 * @module api/context
 * What a route handler receives and returns.
 */

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { PlatformConfig } from "../config.js";
import type { ReplicaAuth } from "../deploy/placement/replica-auth.js";
import type { AgentBackend } from "../deploy/supervisor/types.js";
import type { Drain } from "../drain.js";
import type { ApprovalEvents } from "../governance/approvals.js";
import type { RunWebhooks } from "../governance/run-webhooks.js";
import type { EndUsers } from "../ingress/end-users.js";
import type { VerifiedUser } from "../ingress/verify.js";
import type { Logger } from "../log.js";
import type { PlatformMetrics } from "../observability/metrics.js";
import type { TracingHandle } from "../observability/tracing.js";
import type { Store } from "../store/store.js";
import type { EventStreams } from "./event-streams.js";
import { authorize, type Permission, type Role } from "./roles.js";
import type { Router } from "./router.js";
import { checkRequest, type RouteSchema } from "./schema.js";

export interface Services {
  store: Store;
  config: PlatformConfig;
  log: Logger;
  /** The platform's own root URL as agents and tools reach it, e.g. http://127.0.0.1:8092 */
  baseUrl(): string;
  /** The /api/v1 routes, so one handler can run another (action plans reuse the upserts). */
  api: Router<RouteDef>;
  /** This platform process (a new id per start): the owner of the runs it drives. */
  bootId: string;
  /** This platform's approval hooks: decisions (the resume worker) and new requests (connectors). */
  approvals: ApprovalEvents;
  /**
   * The agent supervisor: runs deployed agents, says where they listen (also the resume
   * worker's `AgentLocator`), their status and logs.
   */
  agents?: AgentBackend;
  /**
   * Signs and checks requests between the replicas of a fleet (`deploy/placement/replica-auth`);
   * set when the store is shared (PostgreSQL).
   */
  replicaAuth?: ReplicaAuth;
  /** End-user tokens: the workspace's identity providers and JWT verification (ingress/). */
  endUsers: EndUsers;
  /** The Prometheus registry behind `GET /metrics` (observability/). */
  metrics: PlatformMetrics;
  /** The OpenTelemetry SDK when OTEL_EXPORTER_OTLP_ENDPOINT turned it on (observability/tracing). */
  tracing?: TracingHandle;
  /** Run webhooks: registered at invoke, delivered when a run pauses or finishes. */
  webhooks: RunWebhooks;
  /** Aborted when the platform starts shutting down: open-ended answers (a log follow) end then. */
  closing?: AbortSignal;
  /** The live feed's one-use tickets and open streams (`GET /events/stream`). */
  eventStreams: EventStreams;
  /** The ordered shutdown (`drain.ts`): a component adds its own step (e.g. handing agents over). */
  drain?: Drain;
}

export type Principal =
  | { kind: "local" }
  | {
      kind: "api_key";
      id: string;
      name: string;
      workspace: string;
      /** What the key may do (`api/roles`). */
      role: Role;
      /** Approver groups the key's creator gave it (matched against policies' `approvers.groups`). */
      groups: string[];
      /** May name the end user (`user_id`) on invoke where identity providers verify users. */
      actForUsers: boolean;
    }
  /** An end user an identity provider of the workspace vouches for. */
  | ({ kind: "user" } & VerifiedUser);

export interface RequestContext {
  services: Services;
  store: Store;
  workspace: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON object body; `{}` when the request had none. */
  body: Record<string, unknown>;
  hasBody: boolean;
  headers: IncomingHttpHeaders;
  requestId: string;
  principal: Principal;
  req: IncomingMessage;
  res: ServerResponse;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** For streaming answers: the handler writes the response itself. */
  stream?: (res: ServerResponse) => Promise<void>;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface RouteDef {
  handler: Handler;
  /** Reachable without an API key (health, the echo tool, the OpenAPI document). */
  public?: boolean;
  /**
   * What the caller's role must grant to reach this /api/v1 route (`api/roles`). Declare it on
   * every route: one without is admin-only.
   */
  permission?: Permission;
  /** The handler reads the request stream itself; the server does not parse a JSON body. */
  raw?: boolean;
  /**
   * End users may call it with `Authorization: Bearer <JWT>` from an identity provider (invoke,
   * MCP, the approvals list and decisions); elsewhere only API keys (and the keyless loopback mode) get in.
   */
  endUsers?: boolean;
  /**
   * The request's query and body and the answers, as schemas (`api/schema`): the front door
   * checks the query and body against them before the handler runs, and the OpenAPI document
   * publishes them.
   */
  schema?: RouteSchema;
  /**
   * A one-use stream ticket in `?ticket=` may stand in for the API key (`api/event-streams`): for
   * browsers' EventSource, which cannot send headers.
   */
  streamTicket?: boolean;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const created = (body: unknown): Reply => ({ status: 201, body });
export const deleted = (): Reply => ({ status: 200, body: { status: "deleted" } });

/** Run another /api/v1 route in-process with the caller's workspace and principal. */
export async function dispatch(
  ctx: RequestContext,
  method: string,
  path: string,
  body: Record<string, unknown> = {},
): Promise<Reply> {
  const found = ctx.services.api.match(method, path);
  if (found.kind !== "found") throw new Error(`dispatch: no route for ${method} ${path}`);
  // The caller's role is checked on the inner route too: a plan can do no more than its author.
  if (!found.match.handler.public) authorize(ctx.principal, found.match.handler.permission ?? "admin");
  checkRequest(found.match.handler.schema, body, ctx.query);
  return found.match.handler.handler({
    ...ctx,
    method,
    path,
    params: found.match.params,
    body,
    hasBody: true,
  });
}
