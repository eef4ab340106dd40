/**
 * @module governance/approvers
 * Who may decide an approval request, checked when the decision is made: the `approvers` of the
 * approval rule the request falls under (`approval-routing`), against the decider's verified
 * identity — a subject and its groups, the same shape for an API key (`key:<id>`, the groups it
 * was given) and for a person signed in through an identity provider.
 *
 * - Rule names groups: the decider must be in any of them (`match: any`) or all (`match: all`).
 * - No rule, or a rule naming no groups: anyone allowed to decide at all (an operator or admin).
 * - The end user the request was made for (its `subject`, and the user of its run) may not
 *   approve it unless the rule says `allowSelfApproval: true`. Rejecting one's own request is
 *   allowed (it only stops the call).
 * Refusals are 403 with code `NOT_AN_APPROVER`.
 */
import { HttpError } from "../errors.js";
import type { Store } from "../store/store.js";
import { findRequestRule } from "./approval-routing.js";
import type { AccessRequest } from "./approvals.js";

/**
 * A verified decider. `unrestricted`: an in-process call with no identity to check. `groupsOnly`:
 * a person signed in through an identity provider, who has no operator role — they may decide
 * only where the rule names a group they are in.
 */
export interface Approver {
  subject: string;
  groups: readonly string[];
  unrestricted?: boolean;
  groupsOnly?: boolean;
}

/** What the check needs of the thing being decided (an access request, or a blocked action). */
export type DecisionTarget = Pick<
  AccessRequest,
  "id" | "agent_id" | "tool_id" | "tool_method" | "tool_url" | "capability" | "subject" | "run_id"
>;

const refuse = (message: string) => new HttpError(403, message, { code: "NOT_AN_APPROVER" });

export async function checkApprover(
  store: Store,
  ws: string,
  target: DecisionTarget,
  approver: Approver,
  decision: "approve" | "reject",
): Promise<void> {
  if (approver.unrestricted) return;
  const routed = await findRequestRule(store, ws, target);
  const what = target.id ? `request ${target.id}` : `the call to ${target.tool_id}`;
  const approvers = routed?.rule.approvers;
  if (approver.groupsOnly && !(approvers && approvers.groups.length > 0)) {
    throw refuse(
      `${approver.subject} is not an approver for ${what}: a signed-in user decides only where an approval rule names their group; ask an operator`,
    );
  }
  if (routed && approvers && approvers.groups.length > 0) {
    const has = (g: string) => approver.groups.includes(g);
    const member = approvers.match === "all" ? approvers.groups.every(has) : approvers.groups.some(has);
    if (!member) {
      throw refuse(
        `${approver.subject} is not an approver for ${what}: approval rule ${routed.rule.name} of policy ${routed.policy} needs a member of ${approvers.match === "all" ? "all" : "any"} of the groups ${approvers.groups.join(", ")}`,
      );
    }
  }
  if (decision !== "approve" || approvers?.allowSelfApproval) return;
  const run = target.run_id ? await store.getRun(ws, target.run_id) : undefined;
  const requesters = [target.subject, run?.userId ?? ""].filter((s) => s !== "");
  if (requesters.includes(approver.subject)) {
    throw refuse(
      `${approver.subject} cannot approve ${what}: it was made for them, and ${routed ? `approval rule ${routed.rule.name} of policy ${routed.policy} does not set approvers.allowSelfApproval` : "no approval rule allows self-approval"}`,
    );
  }
}

/**
 * Whether `approver` is one of the request's approvers (rejecting needs no more than that): what
 * a signed-in user's approvals list and live pending count are limited to.
 */
export async function mayDecide(
  store: Store,
  ws: string,
  target: DecisionTarget,
  approver: Approver,
): Promise<boolean> {
  try {
    await checkApprover(store, ws, target, approver, "reject");
    return true;
  } catch (err) {
    if (err instanceof HttpError && err.status === 403) return false;
    throw err;
  }
}
