/**
 * @module
 * `runagents consents list` (OAuth consents that paused runs wait on) and
 * `runagents oauth-tokens set|delete` (store or revoke an end user's token for a delegated-user
 * tool by hand). A token given on the command line is sent to the platform and never printed.
 */

import type { Consent, ConsentStatus } from "../../client/consents.js";
import { RunAgentsValidationError } from "../../errors.js";
import { type Group, int, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";

const STATUSES: readonly ConsentStatus[] = ["pending", "granted", "expired"];

/** Time since `iso` as `45s`, `12m`, `3h` or `2d`; `-` when it is not a date. */
export function age(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return "-";
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function statusFilter(raw: string | undefined): ConsentStatus | undefined {
  if (raw === undefined) return undefined;
  const status = raw.trim().toLowerCase();
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`invalid value "${raw}" for --status: use pending, granted or expired`);
  }
  return status as ConsentStatus;
}

/** One `Label:  value` block per consent, the authorization URL in full. */
function printWide(ctx: Ctx, list: readonly Consent[]): void {
  list.forEach((c, i) => {
    if (i > 0) ctx.out.line();
    ctx.out.labels([
      ["ID", c.id],
      ["Tool", c.tool],
      ["User", c.userId || "-"],
      ["Agent", c.agent || "-"],
      ["Run", c.runId || "-"],
      ["Status", ctx.out.status(c.status)],
      ["Authorization URL", c.authorizationUrl || "-"],
      ["Created", c.createdAt],
      ["Expires", c.status === "pending" ? c.expiresAt : undefined],
      ["Granted", c.grantedAt || undefined],
    ]);
  });
}

/** The SDK's input checks (blank tool, no token) are usage errors here. */
async function asUsage<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RunAgentsValidationError) throw new UsageError(error.message);
    throw error;
  }
}

/** `for tool "mail" and user "alice"` or, for the shared token, `for tool "mail"`. */
const whose = (tool: string, user: string): string =>
  user ? `OAuth token for tool "${tool}" and user "${user}"` : `Shared OAuth token for tool "${tool}"`;

export const consents: Group = {
  name: "consents",
  summary: "List OAuth consents that paused runs wait on",
  commands: [
    {
      name: "list",
      summary: "List OAuth consents, pending first",
      options: {
        status: { type: "string", value: "<status>", help: "pending, granted or expired" },
        wide: { type: "boolean", help: "one block per consent, with its full authorization URL" },
      },
      details:
        "A pending consent waits for its end user to open the authorization URL (shown with --wide or\n" +
        '-o json), or for a token stored with "runagents oauth-tokens set".',
      async run(ctx, parsed) {
        const status = statusFilter(str(parsed, "status"));
        const list = await ctx.client().consents.list({ status });
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No consents found.");
        if (parsed.values.wide === true) return printWide(ctx, list);
        const now = Date.now();
        ctx.out.table(
          ["ID", "TOOL", "USER", "RUN", "STATUS", "AGE"],
          list.map((c) => [c.id, c.tool, c.userId || "-", c.runId || "-", c.status, age(c.createdAt, now)]),
          4,
        );
      },
    },
  ],
};

export const oauthTokens: Group = {
  name: "oauth-tokens",
  summary: "Store or revoke end users' OAuth tokens for delegated-user tools",
  commands: [
    {
      name: "set",
      summary: "Store an OAuth token for a tool (grants the consents it satisfies)",
      args: "<tool>",
      min: 1,
      options: {
        user: { type: "string", value: "<id>", help: "end user (default: the tool's shared token)" },
        "access-token": { type: "string", value: "<token>", help: "access token" },
        "refresh-token": { type: "string", value: "<token>", help: "refresh token" },
        "expires-in": { type: "string", value: "<seconds>", help: "seconds until the access token expires" },
      },
      details:
        "Give --access-token, --refresh-token or both. Tokens are never printed; a shared token\n" +
        "(no --user) is used for every end user who has none of their own.",
      async run(ctx, parsed) {
        const tool = (parsed.positionals[0] ?? "").trim();
        const accessToken = str(parsed, "access-token") ?? "";
        const refreshToken = str(parsed, "refresh-token") ?? "";
        if (accessToken === "" && refreshToken === "") {
          throw new UsageError("--access-token or --refresh-token is required");
        }
        const expiresIn = str(parsed, "expires-in") === undefined ? undefined : int(parsed, "expires-in", 0);
        const client = ctx.client();
        const user = str(parsed, "user");
        const result = await asUsage(() =>
          client.oauthTokens.set({ tool, user, accessToken, refreshToken, expiresIn }),
        );
        if (ctx.printedRaw()) return;
        const verb = ctx.lastStatus() === 201 ? "stored" : "replaced";
        ctx.out.line(`${whose(result.tool || tool, result.user)} ${verb}.`);
        if (result.resumedRuns > 0) ctx.out.line(`Runs resumed: ${result.resumedRuns}`);
      },
    },
    {
      name: "delete",
      summary: "Revoke a stored OAuth token",
      args: "<tool>",
      min: 1,
      options: {
        user: { type: "string", value: "<id>", help: "end user (default: the tool's shared token)" },
      },
      async run(ctx, parsed) {
        const tool = (parsed.positionals[0] ?? "").trim();
        const user = (str(parsed, "user") ?? "").trim();
        const client = ctx.client();
        await asUsage(() => client.oauthTokens.delete(tool, { user }));
        if (ctx.printedRaw()) return;
        ctx.out.line(`${whose(tool, user)} deleted.`);
      },
    },
  ],
};
