/**
 * @module
 * `client.tools`: list, get, create (flat body), delete, probe and test.
 */

import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { listOf, toDeleteResult, toProbeResult, toTool } from "./parse.js";
import type { DeleteResult, JsonObject, ProbeResult, Tool, ToolCreateInput } from "./types.js";

/** The flat `POST /tools` body: all six keys always, plus capabilities/credentials when given. */
export function buildToolCreateBody(input: ToolCreateInput): JsonObject {
  const body: JsonObject = {
    name: input.name,
    base_url: input.baseUrl,
    description: input.description ?? "",
    auth_type: input.authType ?? "None",
    port: input.port ?? 443,
    scheme: input.scheme ?? "HTTPS",
  };
  if (input.capabilities !== undefined) body.capabilities = input.capabilities;
  if (input.credentials !== undefined) {
    const { clientId, clientSecret, apiKey } = input.credentials;
    const credentials: Record<string, string> = {};
    if (clientId) credentials.client_id = clientId;
    if (clientSecret) credentials.client_secret = clientSecret;
    if (apiKey) credentials.api_key = apiKey;
    body.credentials = credentials;
  }
  return body;
}

export class ToolsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /tools */
  async list(options: CallOptions = {}): Promise<Tool[]> {
    return listOf(await this.#t.request("GET", "/tools", options), toTool);
  }

  /** GET /tools/{name} */
  async get(name: string, options: CallOptions = {}): Promise<Tool> {
    return toTool(await this.#t.request("GET", urlPath`/tools/${name}`, options));
  }

  /** POST /tools (an upsert by name). */
  async create(input: ToolCreateInput, options: CallOptions = {}): Promise<Tool> {
    const body = buildToolCreateBody(input);
    return toTool(await this.#t.request("POST", "/tools", { ...options, body }));
  }

  /** DELETE /tools/{name} */
  async delete(name: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(await this.#t.request("DELETE", urlPath`/tools/${name}`, options));
  }

  /** POST /tools/probe `{url}`: is the URL reachable from the platform? */
  async probe(url: string, options: CallOptions = {}): Promise<ProbeResult> {
    return toProbeResult(await this.#t.request("POST", "/tools/probe", { ...options, body: { url } }));
  }

  /** POST /tools/{name}/test: probe the registered base URL and record the result. */
  async test(name: string, options: CallOptions = {}): Promise<ProbeResult> {
    return toProbeResult(await this.#t.request("POST", urlPath`/tools/${name}/test`, options));
  }
}
