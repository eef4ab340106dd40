/** The pending-approvals count in the navigation, kept current by the live feed. */
import { signal } from "@preact/signals";
import { get } from "./api.js";
import { onFeed } from "./live.js";

export const pendingApprovals = signal<number | null>(null);
const DECISION_EVENTS = new Set(["APPROVAL_REQUIRED", "APPROVED", "REJECTED", "RESUMED", "COMPLETED"]);

export async function refreshPending(): Promise<void> {
  try {
    pendingApprovals.value = (await get<unknown[]>("/approvals/requests?status=PENDING")).length;
  } catch {
    pendingApprovals.value = null;
  }
}

export function watchPending(): () => void {
  void refreshPending();
  return onFeed((event) => {
    if (DECISION_EVENTS.has(event.type)) void refreshPending();
  });
}
