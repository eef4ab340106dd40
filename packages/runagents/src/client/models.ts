/**
 * @module
 * `client.models` (model providers) and `client.modelSpend`.
 */

import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { listOf, toDeleteResult, toModelProvider, toModelSpend } from "./parse.js";
import type {
  DeleteResult,
  JsonObject,
  ModelProvider,
  ModelProviderInput,
  ModelSpendResponse,
} from "./types.js";

/**
 * The `POST /model-providers` body `{name, spec}`. Flat input becomes `spec: {provider, endpoint?, models}`;
 * an `apiKey` is sent as `credentials: {api_key}` (as for tools), never inside `spec`.
 */
export function buildModelProviderBody(input: ModelProviderInput): JsonObject {
  let spec: JsonObject;
  if ("spec" in input && input.spec !== undefined) spec = input.spec;
  else {
    const flat = input as Extract<ModelProviderInput, { provider: string }>;
    spec = { provider: flat.provider, models: flat.models };
    if (flat.endpoint) spec.endpoint = flat.endpoint;
  }
  const body: JsonObject = { name: input.name, spec };
  if (input.apiKey) body.credentials = { api_key: input.apiKey };
  return body;
}

export class ModelsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /model-providers */
  async list(options: CallOptions = {}): Promise<ModelProvider[]> {
    return listOf(await this.#t.request("GET", "/model-providers", options), toModelProvider);
  }

  /** GET /model-providers/{name} */
  async get(name: string, options: CallOptions = {}): Promise<ModelProvider> {
    return toModelProvider(await this.#t.request("GET", urlPath`/model-providers/${name}`, options));
  }

  /** POST /model-providers `{name, spec}` (an upsert by name). */
  async create(input: ModelProviderInput, options: CallOptions = {}): Promise<ModelProvider> {
    const body = buildModelProviderBody(input);
    return toModelProvider(await this.#t.request("POST", "/model-providers", { ...options, body }));
  }

  /** DELETE /model-providers/{name} */
  async delete(name: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(await this.#t.request("DELETE", urlPath`/model-providers/${name}`, options));
  }
}

export class ModelSpendResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /model-spend */
  async get(options: CallOptions = {}): Promise<ModelSpendResponse> {
    return toModelSpend(await this.#t.request("GET", "/model-spend", options));
  }
}
