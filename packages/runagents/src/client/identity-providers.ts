/**
 * @module
 * `client.identityProviders`: list, get, apply (validated upsert, api-contract §2.3.7) and delete.
 */

import { RunAgentsValidationError } from "../errors.js";
import type { IdentityProvider } from "./governance-types.js";
import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { isObject, listOf, obj, text, toDeleteResult } from "./parse.js";
import { toIdentityProvider } from "./parse-governance.js";
import type { DeleteResult, JsonObject } from "./types.js";

/**
 * The `POST /identity-providers` body from a camelCase document (with or without a `spec` wrapper):
 * `{name, spec: {host, identityProvider: {issuer, jwksUri, audiences?}, userIDClaim, allowedDomains?}}`.
 */
export function normalizeIdentityProviderDocument(document: unknown, name = ""): JsonObject {
  if (!isObject(document)) throw new RunAgentsValidationError("identity provider document must be an object");
  const spec = isObject(document.spec) ? document.spec : document;
  const idp = obj(spec.identityProvider);
  const fields = {
    name: name.trim() || text(document.name).trim(),
    "spec.host": text(spec.host).trim(),
    "spec.identityProvider.issuer": text(idp.issuer).trim(),
    "spec.identityProvider.jwksUri": text(idp.jwksUri).trim(),
    "spec.userIDClaim": text(spec.userIDClaim).trim(),
  };
  for (const [path, value] of Object.entries(fields)) {
    if (value === "") throw new RunAgentsValidationError(`identity provider ${path} is required`);
  }
  const identityProvider: JsonObject = {
    issuer: fields["spec.identityProvider.issuer"],
    jwksUri: fields["spec.identityProvider.jwksUri"],
  };
  if (Array.isArray(idp.audiences) && idp.audiences.length > 0) identityProvider.audiences = idp.audiences;
  const outSpec: JsonObject = {
    host: fields["spec.host"],
    identityProvider,
    userIDClaim: fields["spec.userIDClaim"],
  };
  if (Array.isArray(spec.allowedDomains) && spec.allowedDomains.length > 0) {
    outSpec.allowedDomains = spec.allowedDomains;
  }
  return { name: fields.name, spec: outSpec };
}

export class IdentityProvidersResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /identity-providers */
  async list(options: CallOptions = {}): Promise<IdentityProvider[]> {
    return listOf(await this.#t.request("GET", "/identity-providers", options), toIdentityProvider);
  }

  /** GET /identity-providers/{name} */
  async get(name: string, options: CallOptions = {}): Promise<IdentityProvider> {
    return toIdentityProvider(await this.#t.request("GET", urlPath`/identity-providers/${name}`, options));
  }

  /** POST /identity-providers (the server upserts by name). */
  async apply(document: JsonObject, name = "", options: CallOptions = {}): Promise<IdentityProvider> {
    const body = normalizeIdentityProviderDocument(document, name);
    return toIdentityProvider(await this.#t.request("POST", "/identity-providers", { ...options, body }));
  }

  /** DELETE /identity-providers/{name} */
  async delete(name: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(await this.#t.request("DELETE", urlPath`/identity-providers/${name}`, options));
  }
}
