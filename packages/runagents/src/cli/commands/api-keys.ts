/**
 * @module
 * `runagents api-keys list|create|revoke`: workspace API keys, their roles and approver groups.
 * Needs an admin key.
 */

import type { ApiKeyRole, CreatedApiKey } from "../../client/api-keys.js";
import { RunAgentsValidationError } from "../../errors.js";
import { type Group, int, list, str, UsageError } from "../args.js";

const ROLES = ["admin", "operator", "developer", "viewer"];

export const apiKeys: Group = {
  name: "api-keys",
  summary: "Manage workspace API keys (roles and approver groups)",
  commands: [
    {
      name: "list",
      summary: "List API keys",
      async run(ctx) {
        const keys = await ctx.client().apiKeys.list();
        if (ctx.printedRaw()) return;
        if (keys.length === 0) return ctx.out.line("No API keys found.");
        ctx.out.table(
          ["ID", "NAME", "ROLE", "GROUPS", "LAST4", "CREATED", "EXPIRES"],
          keys.map((k) => [
            k.id,
            k.name,
            k.role,
            k.groups.join(",") || "-",
            k.last4,
            k.createdAt,
            k.expiresAt || "-",
          ]),
        );
      },
    },
    {
      name: "create",
      summary: "Create an API key (the token is printed once)",
      args: "<name>",
      min: 1,
      options: {
        role: {
          type: "string",
          value: "admin|operator|developer|viewer",
          help: "what the key may do (default viewer)",
        },
        groups: {
          type: "string",
          multiple: true,
          value: "<group,...>",
          help: "approver groups, matched against policies' approvers.groups",
        },
        "expires-in-days": { type: "string", value: "<days>", help: "expire the key after this many days" },
      },
      async run(ctx, parsed) {
        const name = parsed.positionals[0] ?? "";
        const role = str(parsed, "role")?.trim().toLowerCase();
        if (role !== undefined && !ROLES.includes(role)) {
          throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
        }
        const days =
          str(parsed, "expires-in-days") === undefined ? undefined : int(parsed, "expires-in-days", 0, 1);
        let created: CreatedApiKey;
        try {
          created = await ctx.client().apiKeys.create({
            name,
            ...(role ? { role: role as ApiKeyRole } : {}),
            groups: list(parsed, "groups"),
            ...(days === undefined ? {} : { expiresInDays: days }),
          });
        } catch (error) {
          if (error instanceof RunAgentsValidationError) throw new UsageError(error.message);
          throw error;
        }
        if (ctx.printedRaw()) return;
        const { key } = created;
        const groups = key.groups.length > 0 ? `, groups ${key.groups.join(", ")}` : "";
        ctx.out.line(`API key "${key.name}" created (role ${key.role}${groups}).`);
        ctx.out.line(`ID: ${key.id}`);
        ctx.out.line(`Token (shown once): ${created.token}`);
        ctx.out.line(`Send it as ${created.header || "X-RunAgents-API-Key"}.`);
      },
    },
    {
      name: "revoke",
      summary: "Revoke an API key",
      args: "<id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        await ctx.client().apiKeys.revoke(id);
        if (ctx.printedRaw()) return;
        ctx.out.line(`API key "${id}" revoked.`);
      },
    },
  ],
};
