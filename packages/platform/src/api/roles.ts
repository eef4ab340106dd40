/**
 * @module api/roles
 * Who may call which /api/v1 route. Every API key has a role; every route declares the
 * permission it needs (`RouteDef.permission`); a route that declares none is admin-only.
 *
 * | role        | permissions                  |
 * |-------------|------------------------------|
 * | `admin`     | read, approve, develop, admin |
 * | `operator`  | read, approve                |
 * | `developer` | read, develop                |
 * | `viewer`    | read                         |
 *
 * `read`: GET routes and read-only questions; `approve`: decide approval requests and blocked
 * actions; `develop`: deploy and manage agents, tools, models, policies, connectors, runs,
 * drafts; `admin`: API keys, auth settings, identity providers. An end user signed in through an
 * identity provider (`{kind: "user"}`) has no role: the front door admits them only on routes
 * made for end users (invoke, MCP, listing and deciding approvals), and they decide approvals only where a
 * rule names a group they are in. `{kind: "local"}` (in-process calls, never an HTTP caller) is
 * admin.
 */
import { HttpError } from "../errors.js";
import type { Approver } from "../governance/approvers.js";
import type { Principal } from "./context.js";

export const ROLES = ["admin", "operator", "developer", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ["read", "approve", "develop", "admin"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The role a key gets when its creator names none (the keyless bootstrap's first key is `admin`). */
export const DEFAULT_ROLE: Role = "viewer";

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  operator: ["read", "approve"],
  developer: ["read", "develop"],
  viewer: ["read"],
};

export const isRole = (value: unknown): value is Role =>
  typeof value === "string" && (ROLES as readonly string[]).includes(value);

/** A stored role that is not one of ours grants nothing (fail closed). */
export const roleGrants = (role: string, permission: Permission): boolean =>
  isRole(role) && GRANTS[role].includes(permission);

export function roleOf(principal: Principal): Role | "" {
  switch (principal.kind) {
    case "local":
      return "admin";
    case "api_key":
      return isRole(principal.role) ? principal.role : "";
    case "user":
      return "";
  }
}

/** 403 unless the principal's role grants `permission`. */
export function authorize(principal: Principal, permission: Permission): void {
  const role = roleOf(principal);
  if (role && GRANTS[role].includes(permission)) return;
  const who = principal.kind === "api_key" ? `API key "${principal.name}"` : "this caller";
  throw new HttpError(
    403,
    `${who} has role ${role || "(none)"}, which does not grant the ${permission} permission this route needs`,
    { code: "FORBIDDEN" },
  );
}

/** The verified identity recorded for decisions: `key:<id>` for an API key, `local` for the loopback mode. */
export function principalSubject(principal: Principal): string {
  switch (principal.kind) {
    case "local":
      return "local";
    case "api_key":
      return `key:${principal.id}`;
    case "user":
      return principal.subject;
  }
}

/** Who is deciding an approval, as `governance/approvers` checks it. */
export function approverOf(principal: Principal): Approver {
  switch (principal.kind) {
    case "local":
      return { subject: "local", groups: [], unrestricted: true };
    case "api_key":
      return { subject: principalSubject(principal), groups: principal.groups };
    case "user":
      return { subject: principal.subject, groups: principal.groups, groupsOnly: true };
  }
}
