/**
 * @module
 * `client.actions`: validate and apply action plans. An invalid plan makes `apply` answer 400 with an
 * apply-shaped body; it is thrown as an APIError whose `detail` is that body.
 */

import type {
  ActionPlan,
  ActionPlanApplyResponse,
  ActionPlanValidationResponse,
} from "./governance-types.js";
import type { CallOptions, Transport } from "./http.js";
import { toApplyResponse, toValidationResponse } from "./parse-governance.js";
import type { JsonObject } from "./types.js";

export class ActionsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** POST /actions/validate with the plan as given; changes nothing. */
  async validate(
    plan: ActionPlan | JsonObject,
    options: CallOptions = {},
  ): Promise<ActionPlanValidationResponse> {
    return toValidationResponse(
      await this.#t.request("POST", "/actions/validate", { ...options, body: plan }),
    );
  }

  /** POST /actions/apply with the plan as given. */
  async apply(plan: ActionPlan | JsonObject, options: CallOptions = {}): Promise<ActionPlanApplyResponse> {
    return toApplyResponse(await this.#t.request("POST", "/actions/apply", { ...options, body: plan }));
  }
}
