/**
 * @module governance/action-plan
 * The schema of an action plan (api-contract §3.17, platform-and-cli A15), checked without
 * touching anything: the plan's own shape (a malformed plan is `{error}` for a 400), then per
 * action the allowed keys, the type, the idempotency key (non-empty, unique in the plan) and the
 * params each type needs. Deeper checks that reuse the routes' own parsers, and the lookup of
 * already-applied idempotency keys, are the caller's (`api/routes/actions`).
 */
import { validatePolicySpec } from "./policy.js";

export const ACTION_TYPES = [
  "tool.upsert",
  "model_provider.upsert",
  "policy.upsert",
  "deploy_draft.create_or_patch",
  "deploy.execute",
  "starter_kit.seed",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

const PLAN_KEYS = ["plan_id", "continue_on_error", "actions"];
const ACTION_KEYS = ["id", "type", "idempotency_key", "params"];
const DEPLOY_SOURCES = ["draft_id", "artifact_id", "image", "source_files"];

type Obj = Record<string, unknown>;

export interface PlanAction {
  id: string;
  /** The given type, which may be unknown when the action is invalid. */
  type: string;
  idempotency_key: string;
  params: Obj;
  errors: string[];
  warnings: string[];
  /** Where the action's resource will live, when known up front (e.g. `/tools/payments-api`). */
  resource_ref: string;
}

export interface ParsedPlan {
  plan_id: string;
  continue_on_error: boolean;
  actions: PlanAction[];
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === "string" ? v.trim() : "");

/** `{error}` for a plan that is not a plan at all; otherwise every action with its findings. */
export function parsePlan(body: Obj, newPlanId: () => string): { error: string } | ParsedPlan {
  const extra = Object.keys(body).filter((k) => !PLAN_KEYS.includes(k));
  if (extra.length > 0) {
    return {
      error: `unknown plan field(s) ${extra.map((k) => `"${k}"`).join(", ")}: a plan has ${PLAN_KEYS.join(", ")}`,
    };
  }
  if (body.plan_id !== undefined && body.plan_id !== null && typeof body.plan_id !== "string") {
    return { error: "plan_id must be a string" };
  }
  if (
    body.continue_on_error !== undefined &&
    body.continue_on_error !== null &&
    typeof body.continue_on_error !== "boolean"
  ) {
    return { error: "continue_on_error must be true or false" };
  }
  if (!Array.isArray(body.actions)) return { error: "actions is required: a list of at least one action" };
  if (body.actions.length === 0) return { error: "actions must contain at least one action" };
  const seen = new Map<string, number>();
  const actions = body.actions.map((raw, i) => {
    const action = parseAction(raw, i);
    const key = action.idempotency_key;
    if (key !== "") {
      const first = seen.get(key);
      if (first !== undefined) {
        action.errors.push(`duplicate idempotency_key "${key}" (also used by actions[${first}])`);
      } else seen.set(key, i);
    }
    return action;
  });
  return {
    plan_id: text(body.plan_id) || newPlanId(),
    continue_on_error: body.continue_on_error === true,
    actions,
  };
}

function parseAction(raw: unknown, i: number): PlanAction {
  const action: PlanAction = {
    id: `action-${i + 1}`,
    type: "",
    idempotency_key: "",
    params: {},
    errors: [],
    warnings: [],
    resource_ref: "",
  };
  if (!isObj(raw)) {
    action.errors.push(`actions[${i}] must be an object`);
    return action;
  }
  const extra = Object.keys(raw).filter((k) => !ACTION_KEYS.includes(k));
  if (extra.length > 0) {
    action.errors.push(
      `unknown action field(s) ${extra.map((k) => `"${k}"`).join(", ")}: an action has ${ACTION_KEYS.join(", ")}`,
    );
  }
  if (raw.id !== undefined && raw.id !== null) {
    if (typeof raw.id !== "string") action.errors.push("id must be a string");
    else if (raw.id.trim() !== "") action.id = raw.id.trim();
  }
  action.type = typeof raw.type === "string" ? raw.type : "";
  action.idempotency_key = typeof raw.idempotency_key === "string" ? raw.idempotency_key : "";
  if (action.idempotency_key.trim() === "")
    action.errors.push("idempotency_key is required (a non-empty string)");
  if (raw.params !== undefined && raw.params !== null) {
    if (isObj(raw.params)) action.params = raw.params;
    else action.errors.push("params must be an object");
  }
  if (!(ACTION_TYPES as readonly string[]).includes(action.type)) {
    action.errors.push(
      action.type === ""
        ? "type is required"
        : `type "${action.type}" is not one of ${ACTION_TYPES.join(", ")}`,
    );
    return action;
  }
  checkParams(action);
  return action;
}

function checkParams(action: PlanAction): void {
  const p = action.params;
  const errors = action.errors;
  const need = (value: unknown, path: string) => {
    if (text(value) === "") errors.push(`params.${path} is required`);
  };
  const spec = isObj(p.spec) ? p.spec : undefined;
  const needSpec = () => {
    if (!spec)
      errors.push(p.spec === undefined ? "params.spec is required" : "params.spec must be an object");
  };
  const name = text(p.name);
  switch (action.type as ActionType) {
    case "tool.upsert": {
      need(p.name, "name");
      needSpec();
      const connection = spec && isObj(spec.connection) ? spec.connection : {};
      if (spec) need(connection.baseUrl, "spec.connection.baseUrl");
      if (name) action.resource_ref = `/tools/${name}`;
      return;
    }
    case "model_provider.upsert": {
      need(p.name, "name");
      needSpec();
      if (spec) {
        need(spec.provider, "spec.provider");
        need(spec.endpoint, "spec.endpoint");
        if (!Array.isArray(spec.models) || spec.models.length === 0) {
          errors.push("params.spec.models must list at least one model");
        }
      }
      if (name) action.resource_ref = `/model-providers/${name}`;
      return;
    }
    case "policy.upsert": {
      need(p.name, "name");
      needSpec();
      if (spec) {
        const result = validatePolicySpec(spec);
        if (!result.ok) errors.push(`params.${result.error}`);
      }
      if (name) action.resource_ref = `/policies/${name}`;
      return;
    }
    case "deploy_draft.create_or_patch": {
      if (p.id !== undefined && p.id !== null && typeof p.id !== "string")
        errors.push("params.id must be a string");
      const v = p.expected_version;
      if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isInteger(v) || v < 1)) {
        errors.push("params.expected_version must be an integer >= 1");
      }
      if (text(p.id)) action.resource_ref = `/deploy-drafts/${text(p.id)}`;
      return;
    }
    case "deploy.execute": {
      need(p.agent_name, "agent_name");
      const sources = DEPLOY_SOURCES.filter((k) =>
        k === "source_files" ? isObj(p[k]) && Object.keys(p[k] as Obj).length > 0 : text(p[k]) !== "",
      );
      if (sources.length === 0)
        errors.push(`params needs a deploy source: one of ${DEPLOY_SOURCES.join(", ")}`);
      if (text(p.agent_name)) action.resource_ref = `/agents/${text(p.agent_name)}`;
      return;
    }
    case "starter_kit.seed":
      if (Object.keys(p).length > 0)
        action.warnings.push("starter_kit.seed takes no params; they are ignored");
      action.resource_ref = "/starter-kit";
      return;
  }
}
