/**
 * @module api/schemas/runs
 * Runs, their events and blocked actions, access requests (approvals) and OAuth consents.
 */

import { APPROVAL_SCOPES, REQUEST_STATUSES } from "../../governance/approvals.js";
import { ACTION_STATUSES } from "../../governance/blocked-actions.js";
import { CONSENT_STATUSES } from "../../governance/consents.js";
import { ACCEPTED_EVENT_TYPES, PATCHABLE_STATUSES, RUN_STATUSES } from "../../governance/runs.js";
import {
  array,
  boolean,
  component,
  integer,
  nullable,
  object,
  oneOf,
  optional,
  type RouteSchema,
  string,
  text,
  timestamp,
} from "../schema.js";
import { Json, resourceName, stamps } from "./common.js";

export const RunStatus = component("RunStatus", oneOf(RUN_STATUSES));

export const Run = component(
  "Run",
  object({
    id: string(),
    conversation_id: string(),
    agent_id: string(),
    agent: string({ description: "Alias of agent_id" }),
    namespace: string({ description: "The workspace" }),
    user_id: string(),
    user_auth: string({
      description: "How user_id was established: jwt:<provider>, service:<key id> or none",
    }),
    status: RunStatus,
    blocked_action_id: string(),
    initial_message: string(),
    message: string({ description: "Alias of initial_message" }),
    invoke_url: string(),
    ...stamps,
    failure: optional({ type: "object", description: "A FAILED run's reason: its FAILED event's data" }),
  }),
);

export const RunEvent = component(
  "RunEvent",
  object({
    event_id: string(),
    id: string({ description: "Alias of event_id" }),
    run_id: string(),
    seq: integer({ minimum: 1 }),
    sequence: integer({ minimum: 1, description: "Alias of seq" }),
    type: string(),
    actor: string(),
    payload_hash: string(),
    message: string({ description: "The event's message, content, detail, summary or error, for tables" }),
    data: Json,
    timestamp: timestamp(),
    created_at: timestamp(),
  }),
);

export const BlockedAction = component(
  "BlockedAction",
  object({
    action_id: string(),
    id: string({ description: "Alias of action_id" }),
    run_id: string(),
    agent_id: string(),
    user_id: string(),
    tool_id: string(),
    capability: string(),
    payload_hash: string(),
    tool_method: string(),
    tool_url: string(),
    request_id: string(),
    status: oneOf(ACTION_STATUSES),
    ...stamps,
  }),
);

export const AccessRequest = component(
  "AccessRequest",
  object({
    id: string(),
    subject: string(),
    agent_id: string(),
    agent: string({ description: "Alias of agent_id" }),
    tool_id: string(),
    tool: string({ description: "Alias of tool_id" }),
    status: oneOf(REQUEST_STATUSES),
    scope: string(),
    duration: string(),
    approver_id: string(),
    reason: string(),
    action_id: string(),
    run_id: string(),
    capability: string(),
    payload_hash: string(),
    tool_method: string(),
    tool_url: string(),
    ...stamps,
    expires_at: nullable(timestamp()),
  }),
);

export const Consent = component(
  "Consent",
  object({
    id: string(),
    resume_id: string(),
    tool: string(),
    user_id: string(),
    run_id: string(),
    agent: string(),
    status: oneOf(CONSENT_STATUSES),
    authorization_url: string(),
    expires_at: timestamp(),
    granted_at: optional(string()),
    ...stamps,
  }),
);

const optionalText = optional(string());

/** The most runs one `GET /runs?limit=` returns. */
export const MAX_RUNS_LIMIT = 1000;

const TokenStored = component(
  "OAuthTokenStored",
  object({
    status: oneOf(["stored"]),
    tool: string(),
    user: string(),
    shared: boolean(),
    has_access_token: boolean(),
    has_refresh_token: boolean(),
    resumed_runs: integer(),
  }),
);

export const RUN_ROUTES = {
  list: {
    query: object({
      agent_id: optional(string({ description: "Only this agent's runs (alias: agent)" })),
      status: optional(
        string({
          description: `Comma-separated statuses (${RUN_STATUSES.join(", ")}); PAUSED matches every paused state`,
        }),
      ),
      user_id: optionalText,
      conversation_id: optionalText,
      limit: optional(
        integer({ minimum: 1, maximum: MAX_RUNS_LIMIT, description: "At most this many runs, newest first" }),
      ),
    }),
    responses: { 200: array(Run) },
  },
  create: {
    body: object({
      agent_id: optional(resourceName("The agent (alias: agent)")),
      agent: optional(string()),
      user_id: optional(string()),
      conversation_id: optionalText,
      initial_message: optionalText,
      message: optionalText,
      invoke_url: optional(string({ format: "uri" })),
    }),
    bodyParsedByHandler: true,
    responses: { 201: Run },
  },
  get: { responses: { 200: Run } },
  patch: {
    body: object({
      status: oneOf(PATCHABLE_STATUSES, { description: "Case-insensitive" }),
      error: optionalText,
      reason: optionalText,
    }),
    bodyParsedByHandler: true,
    responses: { 200: Run },
  },
  events: {
    query: object({
      after_seq: optional(integer({ minimum: 0, description: "Page forward from this sequence number" })),
      limit: optional(
        integer({ minimum: 1, description: "Alone: the last N events; with after_seq: the next N" }),
      ),
      type: optional(string({ description: "Only events of this type (any case)" })),
    }),
    responses: { 200: array(RunEvent) },
  },
  appendEvent: {
    body: object({
      type: text({ description: `One of ${ACCEPTED_EVENT_TYPES.join(", ")} (case-insensitive)` }),
      actor: optionalText,
      payload_hash: optionalText,
      data: optional(Json),
    }),
    responses: { 201: RunEvent },
  },
  createAction: {
    body: object({
      tool_id: resourceName(),
      capability: optionalText,
      payload_hash: optionalText,
      tool_method: optionalText,
      tool_url: optionalText,
    }),
    responses: { 201: BlockedAction },
  },
  getAction: { responses: { 200: BlockedAction } },
  approveAction: {
    body: object({ payload_hash: optional(string({ description: "Required when the action has one" })) }),
    responses: { 200: BlockedAction },
  },
} satisfies Record<string, RouteSchema>;

export const APPROVAL_ROUTES = {
  list: {
    query: object({
      status: optional(string({ description: `One of ${REQUEST_STATUSES.join(", ")} (case-insensitive)` })),
      run_id: optionalText,
      agent_id: optionalText,
    }),
    responses: { 200: array(AccessRequest) },
  },
  create: {
    body: object({
      subject: text(),
      tool_id: resourceName(),
      agent_id: optionalText,
      run_id: optionalText,
      duration: optional(string({ description: "e.g. 30m, 4h" })),
      action_id: optionalText,
      capability: optionalText,
      payload_hash: optionalText,
      tool_method: optionalText,
      tool_url: optionalText,
    }),
    responses: { 201: AccessRequest, 200: AccessRequest },
  },
  get: { responses: { 200: AccessRequest } },
  approve: {
    body: object({
      scope: optional(string({ description: `One of ${APPROVAL_SCOPES.join(", ")}` })),
      duration: optionalText,
      reason: optionalText,
    }),
    responses: { 200: AccessRequest },
  },
  reject: {
    body: object({ reason: optionalText }),
    responses: { 200: AccessRequest },
  },
} satisfies Record<string, RouteSchema>;

export const CONSENT_ROUTES = {
  list: {
    query: object({ status: optional(oneOf(CONSENT_STATUSES)) }),
    responses: { 200: array(Consent) },
  },
  storeToken: {
    body: object({
      tool: resourceName(),
      user: optional(string({ description: "The end user; absent for a token shared by every user" })),
      access_token: optionalText,
      refresh_token: optionalText,
      expires_in: optional(integer({ minimum: 0 })),
    }),
    bodyParsedByHandler: true,
    responses: { 201: TokenStored, 200: TokenStored },
  },
  revokeToken: {
    query: object({ user: optional(string({ description: "The end user; absent for the shared token" })) }),
    responses: { 200: object({ status: oneOf(["deleted"]), tool: string(), user: string() }) },
  },
} satisfies Record<string, RouteSchema>;
