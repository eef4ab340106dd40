/**
 * @module
 * MCP tools for runs (list, detail, events, timeline, wait, export), for listing and deciding
 * the approval requests a paused run waits on, and for listing the OAuth consents it may wait on.
 */

import type { ConsentStatus } from "../client/consents.js";
import type { ApprovalScope } from "../client/governance-types.js";
import { READ, type ToolDefinition, write } from "./define.js";
import { id, input, int, str } from "./schema.js";

const RUN_ID = id("The run id, as returned by list_runs or invoke_agent.");
const REQUEST_ID = id(
  "The approval request id, as listed by list_approval_requests (status PENDING); a paused run's APPROVAL_REQUIRED event also carries it as data.request_id (get_run_events).",
);
const REASON = str("Why; recorded with the decision and shown to operators.");

export const RUN_TOOLS: ToolDefinition[] = [
  {
    name: "list_runs",
    title: "List runs",
    description:
      "List agent runs (one run per invocation), newest first, optionally filtered. Use it to find a run to inspect or a paused run (status PAUSED_APPROVAL) waiting for approval. Returns {items: [{id, agentId, userId, conversationId, status (RUNNING | PAUSED_APPROVAL | COMPLETED | FAILED | ...), blockedActionId, createdAt, updatedAt, ...}]}.",
    inputSchema: input({
      agent: str("Only runs of this agent."),
      status: str("Only runs in this status, e.g. PAUSED_APPROVAL or FAILED."),
      user: str("Only runs for this end-user id."),
      conversation: str("Only runs in this conversation."),
      limit: int("At most this many runs; 0 for all.", { default: 20, minimum: 0 }),
    }),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.runs.list(
        {
          agent: args.string("agent"),
          status: args.string("status"),
          user: args.string("user"),
          conversation: args.string("conversation"),
          limit: args.number("limit"),
        },
        ctx,
      ),
  },
  {
    name: "get_run",
    title: "Get a run",
    description:
      "Show one run: agent, user, conversation, status and, when paused, the blocked action it waits on. Fails with HTTP 404 for an unknown id.",
    inputSchema: input({ run_id: RUN_ID }, ["run_id"]),
    annotations: READ,
    handler: (client, args, ctx) => client.runs.get(args.string("run_id"), ctx),
  },
  {
    name: "get_run_events",
    title: "Get a run's events",
    description:
      "List a run's raw event log in order (USER_MESSAGE, TOOL_REQUEST, TOOL_RESPONSE, APPROVAL_REQUIRED, APPROVED, AGENT_MESSAGE, COMPLETED, FAILED, ...), optionally only one type or only the last N. Returns {items: [{id, runId, sequence, type, actor, data, timestamp}]}.",
    inputSchema: input(
      {
        run_id: RUN_ID,
        event_type: str("Only events of this type (case-insensitive), e.g. APPROVAL_REQUIRED."),
        limit: int("Only the last N events; 0 for all.", { default: 0, minimum: 0 }),
      },
      ["run_id"],
    ),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.runs.events(
        args.string("run_id"),
        { type: args.string("event_type"), limit: args.number("limit") },
        ctx,
      ),
  },
  {
    name: "get_run_timeline",
    title: "Get a run's timeline",
    description:
      'Explain what happened in a run as a readable timeline: one entry per event with a one-line summary ("Called stripe POST https://...", "Approval required for stripe", ...). Prefer this over get_run_events to tell a user what an agent did. Returns {items: [{sequence, type, actor, summary, timestamp, data}]}.',
    inputSchema: input({ run_id: RUN_ID }, ["run_id"]),
    annotations: READ,
    handler: (client, args, ctx) => client.runs.timeline(args.string("run_id"), ctx),
  },
  {
    name: "wait_for_run",
    title: "Wait for a run to finish",
    description:
      "Poll a run until it is COMPLETED or FAILED and return it. A run paused for approval is not finished: approve or reject it first, or this times out. Fails with a timeout error after timeout_seconds; keep that below your MCP client's request timeout.",
    inputSchema: input(
      {
        run_id: RUN_ID,
        timeout_seconds: int("Give up after this many seconds.", { default: 300, minimum: 0, maximum: 3600 }),
        interval_seconds: int("Seconds between polls.", { default: 2, minimum: 1, maximum: 60 }),
      },
      ["run_id"],
    ),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.runs.wait(args.string("run_id"), {
        timeoutMs: (args.number("timeout_seconds") ?? 300) * 1000,
        intervalMs: (args.number("interval_seconds") ?? 2) * 1000,
        signal: ctx.signal,
      }),
  },
  {
    name: "export_run",
    title: "Export a run",
    description:
      "Export everything about a run in one object, for a report or an audit: {run, events, timeline}.",
    inputSchema: input({ run_id: RUN_ID }, ["run_id"]),
    annotations: READ,
    handler: (client, args, ctx) => client.runs.export(args.string("run_id"), ctx),
  },
  {
    name: "list_approval_requests",
    title: "List approval requests",
    description:
      "List approval requests: tool calls that a policy sent for approval, optionally only those in one status. Use status PENDING to find what waits for approve_request or reject_request. Returns {items: [{id, subject, agentId, toolId, status, scope, duration, approverId, reason, actionId, runId, createdAt, updatedAt, expiresAt}]}.",
    inputSchema: input({
      status: str("Only requests in this status; all when omitted.", {
        enum: ["PENDING", "APPROVED", "REJECTED", "EXPIRED"],
      }),
    }),
    annotations: READ,
    handler: (client, args, ctx) => client.approvals.list({ status: args.string("status") }, ctx),
  },
  {
    name: "approve_request",
    title: "Approve a request",
    description:
      "Approve a pending approval request, which lets the blocked tool call through and resumes the paused run. scope: once (this call only; the default), run (every matching call in this run) or window (this agent and user for `duration`, e.g. 1h or 4h). Grant a window only when the user asked for one. Only an approver named by the policy may approve, and not for their own request (HTTP 403 NOT_AN_APPROVER). Fails with HTTP 409 when the request is no longer PENDING. Returns the request with status APPROVED and the scope granted.",
    inputSchema: input(
      {
        request_id: REQUEST_ID,
        scope: str("How far the approval reaches; once (this one call) when omitted.", {
          enum: ["once", "run", "window"],
        }),
        duration: str("For scope window (or no scope): how long the grant lasts, e.g. 1h, 4h, 30m."),
        reason: REASON,
      },
      ["request_id"],
    ),
    annotations: write({ destructive: false, idempotent: false }),
    handler: (client, args, ctx) =>
      client.approvals.approve(
        args.string("request_id"),
        {
          scope: args.string("scope") as ApprovalScope,
          duration: args.string("duration"),
          reason: args.string("reason"),
        },
        ctx,
      ),
  },
  {
    name: "reject_request",
    title: "Reject a request",
    description:
      "Reject a pending approval request: the blocked tool call is refused and the paused run fails. Fails with HTTP 409 when the request is no longer PENDING. Returns the request with status REJECTED.",
    inputSchema: input({ request_id: REQUEST_ID, reason: REASON }, ["request_id"]),
    annotations: write({ destructive: false, idempotent: false }),
    handler: (client, args, ctx) =>
      client.approvals.reject(args.string("request_id"), { reason: args.string("reason") }, ctx),
  },
  {
    name: "list_consents",
    title: "List OAuth consents",
    description:
      "List OAuth consents: calls to a delegated-user tool that found no OAuth token for their end user, pending first. A pending consent pauses its run (status PAUSED_CONSENT) until the end user opens authorizationUrl and grants access. Returns {items: [{id, resumeId, tool, userId, runId, agent, status (pending | granted | expired), authorizationUrl, expiresAt, grantedAt, createdAt, updatedAt}]}.",
    inputSchema: input({
      status: str("Only consents in this status; all when omitted.", {
        enum: ["pending", "granted", "expired"],
      }),
    }),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.consents.list(
        { status: (args.string("status") || undefined) as ConsentStatus | undefined },
        ctx,
      ),
  },
];
