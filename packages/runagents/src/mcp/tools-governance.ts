/**
 * @module
 * MCP tools for governance documents: policies (list, get, translate, apply, delete, evaluate) and
 * end-user identity providers (list, get, apply, delete).
 */

import { READ, type ToolDefinition, write } from "./define.js";
import { doc, id, input, str } from "./schema.js";

const POLICY_NAME = id("The policy's name.");
const IDP_NAME = id("The identity provider's name.");

export const GOVERNANCE_TOOLS: ToolDefinition[] = [
  {
    name: "list_policies",
    title: "List policies",
    description:
      "List the workspace's policies: the rules that decide which tool calls agents may make (allow, deny, approval_required) and who approves. Returns {items: [{name, namespace, spec: {policies, approvals}, status: {ready, message}, usedBy}]}.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.policies.list(ctx),
  },
  {
    name: "get_policy",
    title: "Get a policy",
    description:
      "Show one policy with its rules, approval rules, readiness and the agents bound to it. Fails with HTTP 404 for an unknown name.",
    inputSchema: input({ name: POLICY_NAME }, ["name"]),
    annotations: READ,
    handler: (client, args, ctx) => client.policies.get(args.string("name"), ctx),
  },
  {
    name: "translate_policy",
    title: "Translate text into policy rules",
    description:
      'Turn a plain-English rule ("allow GET on https://api.github.com/*, require approval for POST") into structured policy rules, without saving anything. Review them, then save with apply_policy. Returns {rules: [{permission, operations, resource, tags}]}.',
    inputSchema: input({ text: str("The rule in plain language.", { minLength: 1 }) }, ["text"]),
    annotations: READ,
    handler: async (client, args, ctx) => ({
      rules: await client.policies.translate(args.string("text"), ctx),
    }),
  },
  {
    name: "apply_policy",
    title: "Create or update a policy",
    description:
      'Create a policy, or replace the one with the same name. The document is {name, spec: {policies: [{permission: "allow" | "deny" | "approval_required", operations: ["GET", ...], resource: "https://host/*" or a tool name, tags?}], approvals?: [{name, toolIds?, operations?, approvers?: {groups, match, allowSelfApproval?}, defaultDuration?, delivery?}]}}; without a "spec" key the whole document is the spec. Deny wins over approval_required, which wins over allow; a call no rule allows is denied. Returns the saved policy.',
    inputSchema: input(
      {
        policy: doc("The policy document, {name, spec} or the bare spec."),
        name: str("The policy's name; overrides the document's name."),
      },
      ["policy"],
    ),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) =>
      client.policies.apply(args.object("policy") ?? {}, args.string("name"), ctx),
  },
  {
    name: "delete_policy",
    title: "Delete a policy",
    description:
      'Delete a policy. Refused with HTTP 409 while agents are bound to it (unbind it with update_agent_config first). Returns {status: "deleted"}.',
    inputSchema: input({ name: POLICY_NAME }, ["name"]),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => client.policies.delete(args.string("name"), ctx),
  },
  {
    name: "evaluate_policy",
    title: "Evaluate a tool call against policy",
    description:
      "Ask what the policies bound to an agent decide for one HTTP call, without making it: allow, deny or approval_required, and which rules matched. Use it to check a policy before deploying or to explain a denied call. Fails with HTTP 404 when the platform does not offer evaluation.",
    inputSchema: input(
      {
        agent: id("The agent whose bound policies are evaluated."),
        method: id("HTTP method of the call, e.g. GET or POST."),
        url: id("Full URL of the call, e.g. https://api.stripe.com/v1/refunds."),
      },
      ["agent", "method", "url"],
    ),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.post(
        "/policies/evaluate",
        { agent: args.string("agent"), method: args.string("method"), url: args.string("url") },
        ctx,
      ),
  },
  {
    name: "list_identity_providers",
    title: "List identity providers",
    description:
      "List the identity providers that authenticate agents' end users (JWT issuers): host, issuer, JWKS URI, audiences, user-id claim. Returns {items: [...]}.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.identityProviders.list(ctx),
  },
  {
    name: "get_identity_provider",
    title: "Get an identity provider",
    description: "Show one identity provider. Fails with HTTP 404 for an unknown name.",
    inputSchema: input({ name: IDP_NAME }, ["name"]),
    annotations: READ,
    handler: (client, args, ctx) => client.identityProviders.get(args.string("name"), ctx),
  },
  {
    name: "apply_identity_provider",
    title: "Create or update an identity provider",
    description:
      "Create an identity provider, or replace the one with the same name. The document uses camelCase: {name, spec: {host, identityProvider: {issuer, jwksUri, audiences?}, userIDClaim, allowedDomains?}} (or the bare spec with a name argument). host, issuer, jwksUri and userIDClaim are required. Returns the saved identity provider.",
    inputSchema: input(
      {
        identity_provider: doc("The identity provider document."),
        name: str("The identity provider's name; overrides the document's name."),
      },
      ["identity_provider"],
    ),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) =>
      client.identityProviders.apply(args.object("identity_provider") ?? {}, args.string("name"), ctx),
  },
  {
    name: "delete_identity_provider",
    title: "Delete an identity provider",
    description:
      'Delete an identity provider; agents that use it can no longer authenticate end users. Returns {status: "deleted"}.',
    inputSchema: input({ name: IDP_NAME }, ["name"]),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => client.identityProviders.delete(args.string("name"), ctx),
  },
];
