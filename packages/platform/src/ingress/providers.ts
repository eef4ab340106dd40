/**
 * @module ingress/providers
 * The identity providers that vouch for end users in a workspace: its own, then the `default`
 * workspace's (as a key made in `default` is valid in every workspace). Each stored document is
 * read into the few fields verification needs; `userIDClaim` names the claim that becomes the
 * run's user, `groupsClaim` (default `groups`) the claim that lists the user's groups.
 */
import type { ResourceRecord, Store } from "../store/store.js";
import { isObject } from "../validate.js";

export const DEFAULT_GROUPS_CLAIM = "groups";

export interface EndUserProvider {
  name: string;
  workspace: string;
  issuer: string;
  jwksUri: string;
  /** Empty: any audience (the provider was registered without `audiences`). */
  audiences: string[];
  userIdClaim: string;
  groupsClaim: string;
  /** Lower-case e-mail domains; empty: any. */
  allowedDomains: string[];
}

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(text).filter((v) => v !== "") : [];

export function toEndUserProvider(record: ResourceRecord): EndUserProvider | undefined {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const idp = isObject(spec.identityProvider) ? spec.identityProvider : {};
  const issuer = text(idp.issuer);
  const jwksUri = text(idp.jwksUri);
  if (!issuer || !jwksUri) return undefined;
  return {
    name: record.name,
    workspace: record.workspace,
    issuer,
    jwksUri,
    audiences: texts(idp.audiences),
    userIdClaim: text(spec.userIDClaim) || "sub",
    groupsClaim: text(spec.groupsClaim) || DEFAULT_GROUPS_CLAIM,
    allowedDomains: texts(spec.allowedDomains).map((d) => d.replace(/^@/, "").toLowerCase()),
  };
}

/** The workspace's providers first, then the `default` workspace's. */
export async function providersFor(store: Store, workspace: string): Promise<EndUserProvider[]> {
  const spaces = workspace === "default" ? ["default"] : [workspace, "default"];
  const out: EndUserProvider[] = [];
  for (const ws of spaces) {
    for (const record of await store.listResources(ws, "identity_provider")) {
      const provider = toEndUserProvider(record);
      if (provider) out.push(provider);
    }
  }
  return out;
}
