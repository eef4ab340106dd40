/**
 * @module
 * MCP tools for approval connectors: the Slack, Teams, Jira, PagerDuty or webhook channels approval
 * requests are delivered to, their workspace defaults, and their delivery log.
 */

import type { ApprovalConnectorDefaultsInput } from "../client/governance-types.js";
import { READ, type ToolDefinition, write } from "./define.js";
import { bool, doc, id, input, int, str } from "./schema.js";

const CONNECTOR_ID = id("The connector's id (see list_approval_connectors).");

export const CONNECTOR_TOOLS: ToolDefinition[] = [
  {
    name: "list_approval_connectors",
    title: "List approval connectors",
    description:
      "List the channels approval requests are delivered to (webhook, slack, teams, jira, pagerduty). Returns {items: [{id, name, type, endpoint, headers, enabled, timeoutSeconds, slackSecurityMode, createdAt, updatedAt}]}; header values are redacted.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.approvalConnectors.list(ctx),
  },
  {
    name: "get_approval_connector",
    title: "Get an approval connector",
    description: "Show one approval connector. Fails with HTTP 404 for an unknown id.",
    inputSchema: input({ connector_id: CONNECTOR_ID }, ["connector_id"]),
    annotations: READ,
    handler: (client, args, ctx) => client.approvalConnectors.get(args.string("connector_id"), ctx),
  },
  {
    name: "get_approval_connector_defaults",
    title: "Get approval delivery defaults",
    description:
      "Show how approval requests are delivered by default in this workspace: delivery mode (first_success: stop at the first connector that accepts; all: every connector), whether the console inbox is the fallback, and the delivery timeout with its allowed range.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.approvalConnectors.defaults(ctx),
  },
  {
    name: "list_approval_connector_activity",
    title: "List approval deliveries",
    description:
      "List recent approval-connector activity, newest first: deliveries of approval requests and the decisions that came back, with status codes and timings. Use it to find out why an approver never saw a request. Returns {items: [{timestamp, event, connectorName, requestId, runId, decision, statusCode, durationMs, message, ...}]}.",
    inputSchema: input({
      limit: int("At most this many entries; 0 for the platform's default.", { default: 50, minimum: 0 }),
    }),
    annotations: READ,
    handler: (client, args, ctx) => client.approvalConnectors.activity({ limit: args.number("limit") }, ctx),
  },
  {
    name: "apply_approval_connector",
    title: "Create or update an approval connector",
    description:
      'Create an approval connector, or update the one with the same id (else the same name). The document is {id?, name, type: "webhook" | "slack" | "teams" | "jira" | "pagerduty", endpoint (URL, or Slack channel id), headers?: {name: value}, enabled?, timeout_seconds?, slack_security_mode?: "compat" | "strict"}; name and endpoint are required to create. An update changes only the keys given. Returns the saved connector.',
    inputSchema: input({ connector: doc("The connector document.") }, ["connector"]),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => client.approvalConnectors.apply(args.object("connector") ?? {}, ctx),
  },
  {
    name: "delete_approval_connector",
    title: "Delete an approval connector",
    description:
      'Delete an approval connector; requests are no longer delivered through it. Returns {status: "deleted"}.',
    inputSchema: input({ connector_id: CONNECTOR_ID }, ["connector_id"]),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => client.approvalConnectors.delete(args.string("connector_id"), ctx),
  },
  {
    name: "test_approval_connector",
    title: "Test an approval connector",
    description:
      "Send a test delivery through a connector's saved configuration and report each check. This contacts the connector's real endpoint (a message may appear in the channel). Returns {status: healthy | unhealthy, connectorType, endpoint, checks: [{id, label, status, message, durationMs}]}.",
    inputSchema: input({ connector_id: CONNECTOR_ID }, ["connector_id"]),
    annotations: write({ destructive: false, idempotent: false, openWorld: true }),
    handler: (client, args, ctx) => client.approvalConnectors.test(args.string("connector_id"), ctx),
  },
  {
    name: "set_approval_connector_defaults",
    title: "Set approval delivery defaults",
    description:
      "Change the workspace's approval delivery defaults; only the given values change. Returns the new defaults.",
    inputSchema: input({
      delivery_mode: str(
        "first_success: stop at the first connector that accepts; all: deliver to every connector.",
        {
          enum: ["first_success", "all"],
        },
      ),
      fallback_to_ui: bool("Also show requests in the console inbox when no connector delivers them."),
      timeout_seconds: int("How long a delivery may take, in seconds.", { minimum: 1 }),
    }),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => {
      const input: ApprovalConnectorDefaultsInput = {};
      const mode = args.string("delivery_mode");
      const fallback = args.boolean("fallback_to_ui");
      const timeout = args.number("timeout_seconds");
      if (mode !== "") input.deliveryMode = mode as ApprovalConnectorDefaultsInput["deliveryMode"];
      if (fallback !== undefined) input.fallbackToUi = fallback;
      if (timeout !== undefined) input.timeoutSeconds = timeout;
      return client.approvalConnectors.setDefaults(input, ctx);
    },
  },
];
