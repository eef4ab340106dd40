/**
 * @module
 * `client.policies`: list, get, apply (upsert, api-contract §2.3.3), delete and translate.
 */

import { APIError, RunAgentsValidationError } from "../errors.js";
import type { Policy, PolicyRule } from "./governance-types.js";
import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { isObject, listOf, objects, text, toDeleteResult } from "./parse.js";
import { toPolicy, toPolicyRule } from "./parse-governance.js";
import type { DeleteResult, JsonObject } from "./types.js";

/**
 * `{name, spec}` from a policy document: with a `spec` key, spec = `document.spec`; without one the
 * whole document is the spec. name = `name` override, else `document.name`.
 */
export function normalizePolicyDocument(document: unknown, name = ""): { name: string; spec: JsonObject } {
  if (!isObject(document)) throw new RunAgentsValidationError("policy document must be an object");
  const resolved = name.trim() || text(document.name).trim();
  const spec = "spec" in document ? document.spec : document;
  if (resolved === "") throw new RunAgentsValidationError("policy name is required");
  if (!isObject(spec)) throw new RunAgentsValidationError("policy spec must be an object");
  return { name: resolved, spec };
}

export class PoliciesResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /policies */
  async list(options: CallOptions = {}): Promise<Policy[]> {
    return listOf(await this.#t.request("GET", "/policies", options), toPolicy);
  }

  /** GET /policies/{name} */
  async get(name: string, options: CallOptions = {}): Promise<Policy> {
    return toPolicy(await this.#t.request("GET", urlPath`/policies/${name}`, options));
  }

  /** Create or update: GET /policies/{name}; on 404 POST /policies, otherwise PUT /policies/{name}. */
  async apply(document: JsonObject, name = "", options: CallOptions = {}): Promise<Policy> {
    const body = normalizePolicyDocument(document, name);
    const path = urlPath`/policies/${body.name}`;
    try {
      await this.#t.request("GET", path, options);
    } catch (error) {
      if (!(error instanceof APIError) || error.status !== 404) throw error;
      return toPolicy(await this.#t.request("POST", "/policies", { ...options, body }));
    }
    return toPolicy(await this.#t.request("PUT", path, { ...options, body }));
  }

  /** DELETE /policies/{name} */
  async delete(name: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(await this.#t.request("DELETE", urlPath`/policies/${name}`, options));
  }

  /** POST /policies/translate `{text}`: natural language → rules. */
  async translate(input: string, options: CallOptions = {}): Promise<PolicyRule[]> {
    const result = await this.#t.request("POST", "/policies/translate", {
      ...options,
      body: { text: input },
    });
    return isObject(result) ? objects(result.rules).map(toPolicyRule) : [];
  }
}
