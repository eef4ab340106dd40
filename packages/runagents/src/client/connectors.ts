/**
 * @module
 * `client.approvalConnectors`: list, get, apply (upsert by id or name, api-contract §2.3.6), delete,
 * test, defaults, setDefaults and activity.
 */

import { RunAgentsValidationError } from "../errors.js";
import type {
  ApprovalConnector,
  ApprovalConnectorActivity,
  ApprovalConnectorDefaults,
  ApprovalConnectorDefaultsInput,
  ApprovalConnectorTestResult,
} from "./governance-types.js";
import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { isObject, listOf, text, toDeleteResult } from "./parse.js";
import {
  toApprovalConnector,
  toConnectorActivity,
  toConnectorDefaults,
  toConnectorTestResult,
} from "./parse-governance.js";
import type { DeleteResult, JsonObject } from "./types.js";

const OPTIONAL_KEYS = ["type", "headers", "enabled", "timeout_seconds"] as const;

/** Trim `id`, `name`, `type`, `endpoint`, `slack_security_mode`; require an id or a name. */
export function normalizeConnectorDocument(document: unknown): JsonObject {
  if (!isObject(document))
    throw new RunAgentsValidationError("approval connector document must be an object");
  const out: JsonObject = { ...document };
  for (const key of ["id", "name", "type", "endpoint", "slack_security_mode"])
    out[key] = text(document[key]).trim();
  if (out.id === "" && out.name === "") {
    throw new RunAgentsValidationError("connector document must include either id or name");
  }
  return out;
}

/** The existing connector the document targets: by id first, then by a unique name. */
export function resolveConnectorTarget(
  connectors: readonly ApprovalConnector[],
  request: JsonObject,
): ApprovalConnector | undefined {
  const byId = request.id ? connectors.find((c) => c.id === request.id) : undefined;
  if (byId) return byId;
  if (!request.name) return undefined;
  const matches = connectors.filter((c) => c.name === request.name);
  if (matches.length > 1) {
    throw new RunAgentsValidationError(
      `multiple approval connectors share the name '${text(request.name)}'; use an id instead`,
    );
  }
  return matches[0];
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** Body for PATCH (`keys` starts with name/endpoint) or POST: present keys, plus a truthy slack mode. */
function pick(request: JsonObject, keys: readonly string[]): JsonObject {
  const body: JsonObject = {};
  for (const key of keys) if (present(request[key])) body[key] = request[key];
  if (request.slack_security_mode) body.slack_security_mode = request.slack_security_mode;
  return body;
}

export function buildConnectorCreateBody(request: JsonObject): JsonObject {
  if (!request.name)
    throw new RunAgentsValidationError("connector name is required when creating a connector");
  if (!request.endpoint) {
    throw new RunAgentsValidationError("connector endpoint is required when creating a connector");
  }
  return pick(request, ["name", "endpoint", ...OPTIONAL_KEYS]);
}

export function buildConnectorPatchBody(request: JsonObject): JsonObject {
  return pick(request, ["name", "type", "endpoint", "headers", "enabled", "timeout_seconds"]);
}

export class ApprovalConnectorsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /approval-connectors */
  async list(options: CallOptions = {}): Promise<ApprovalConnector[]> {
    return listOf(await this.#t.request("GET", "/approval-connectors", options), toApprovalConnector);
  }

  /** GET /approval-connectors/{id} */
  async get(connectorId: string, options: CallOptions = {}): Promise<ApprovalConnector> {
    return toApprovalConnector(
      await this.#t.request("GET", urlPath`/approval-connectors/${connectorId}`, options),
    );
  }

  /** Create (POST) or update (PATCH /{id}) the connector the document names, resolved from the list. */
  async apply(document: JsonObject, options: CallOptions = {}): Promise<ApprovalConnector> {
    const request = normalizeConnectorDocument(document);
    const target = resolveConnectorTarget(await this.list(options), request);
    if (target === undefined) {
      const body = buildConnectorCreateBody(request);
      return toApprovalConnector(await this.#t.request("POST", "/approval-connectors", { ...options, body }));
    }
    const body = buildConnectorPatchBody(request);
    const path = urlPath`/approval-connectors/${target.id}`;
    return toApprovalConnector(await this.#t.request("PATCH", path, { ...options, body }));
  }

  /** DELETE /approval-connectors/{id} */
  async delete(connectorId: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(
      await this.#t.request("DELETE", urlPath`/approval-connectors/${connectorId}`, options),
    );
  }

  /** Re-test the live connector: GET it, then POST /approval-connectors/test with its settings. */
  async test(connectorId: string, options: CallOptions = {}): Promise<ApprovalConnectorTestResult> {
    const connector = await this.get(connectorId, options);
    const body: JsonObject = { type: connector.type, endpoint: connector.endpoint };
    if (Object.keys(connector.headers).length > 0) body.headers = connector.headers;
    if (connector.timeoutSeconds) body.timeout_seconds = connector.timeoutSeconds;
    if (connector.slackSecurityMode) body.slack_security_mode = connector.slackSecurityMode;
    return toConnectorTestResult(
      await this.#t.request("POST", "/approval-connectors/test", { ...options, body }),
    );
  }

  /** GET /approval-connectors/defaults */
  async defaults(options: CallOptions = {}): Promise<ApprovalConnectorDefaults> {
    return toConnectorDefaults(await this.#t.request("GET", "/approval-connectors/defaults", options));
  }

  /** PUT /approval-connectors/defaults with only the given keys (possibly `{}`). */
  async setDefaults(
    input: ApprovalConnectorDefaultsInput,
    options: CallOptions = {},
  ): Promise<ApprovalConnectorDefaults> {
    const body: JsonObject = {};
    if (input.deliveryMode !== undefined) body.default_delivery_mode = input.deliveryMode;
    if (input.fallbackToUi !== undefined) body.default_fallback_to_ui = input.fallbackToUi;
    if (input.timeoutSeconds !== undefined) body.default_timeout_seconds = input.timeoutSeconds;
    return toConnectorDefaults(
      await this.#t.request("PUT", "/approval-connectors/defaults", { ...options, body }),
    );
  }

  /** GET /approval-connectors/activity[?limit=] (limit sent only when > 0; default 50). */
  async activity(
    filters: { limit?: number } = {},
    options: CallOptions = {},
  ): Promise<ApprovalConnectorActivity[]> {
    const limit = filters.limit ?? 50;
    const query = limit > 0 ? { limit } : {};
    const result = await this.#t.request("GET", "/approval-connectors/activity", { ...options, query });
    return listOf(result, toConnectorActivity);
  }
}
