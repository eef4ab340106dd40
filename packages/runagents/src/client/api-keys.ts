/**
 * @module
 * `client.apiKeys`: workspace API keys (`/auth/api-keys`) — list, create (with a role and
 * approver groups; the token is shown once), revoke. Only admin keys may call these.
 */

import { RunAgentsValidationError } from "../errors.js";
import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { listOf, obj, text, texts, toDeleteResult } from "./parse.js";
import type { DeleteResult, JsonObject } from "./types.js";

/** What a key may do: `admin` (everything), `operator` (approve, read), `developer` (build, read), `viewer` (read). */
export type ApiKeyRole = "admin" | "operator" | "developer" | "viewer";

export interface ApiKey {
  id: string;
  name: string;
  /** `admin` | `operator` | `developer` | `viewer` */
  role: string;
  /** Approver groups, matched against policies' `approvers.groups`. */
  groups: string[];
  prefix: string;
  last4: string;
  createdAt: string;
  /** `""` when never used. */
  lastUsedAt: string;
  /** `""` when it never expires. */
  expiresAt: string;
}

export interface ApiKeyInput {
  name: string;
  /** The platform makes a `viewer` when omitted. */
  role?: ApiKeyRole;
  groups?: string[];
  expiresInDays?: number;
}

/** A new key and its token: the token is shown only here. */
export interface CreatedApiKey {
  key: ApiKey;
  token: string;
  /** The header to send the token in (`X-RunAgents-API-Key`). */
  header: string;
}

export function toApiKey(value: unknown): ApiKey {
  const d = obj(value);
  return {
    id: text(d.id),
    name: text(d.name),
    role: text(d.role),
    groups: texts(d.groups),
    prefix: text(d.prefix),
    last4: text(d.last4),
    createdAt: text(d.createdAt),
    lastUsedAt: text(d.lastUsedAt),
    expiresAt: text(d.expiresAt),
  };
}

export class ApiKeysResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /auth/api-keys */
  async list(options: CallOptions = {}): Promise<ApiKey[]> {
    return listOf(await this.#t.request("GET", "/auth/api-keys", options), toApiKey);
  }

  /** POST /auth/api-keys `{name, role?, groups?, expiresInDays?}` */
  async create(input: ApiKeyInput, options: CallOptions = {}): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (name === "") throw new RunAgentsValidationError("api key name is required");
    const body: JsonObject = { name };
    if (input.role) body.role = input.role;
    const groups = (input.groups ?? []).map((g) => g.trim()).filter((g) => g !== "");
    if (groups.length > 0) body.groups = groups;
    if (input.expiresInDays !== undefined) body.expiresInDays = input.expiresInDays;
    const answer = obj(await this.#t.request("POST", "/auth/api-keys", { ...options, body }));
    return { key: toApiKey(answer.key), token: text(answer.token), header: text(answer.header) };
  }

  /** DELETE /auth/api-keys/{id} */
  async revoke(id: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(await this.#t.request("DELETE", urlPath`/auth/api-keys/${id}`, options));
  }
}
