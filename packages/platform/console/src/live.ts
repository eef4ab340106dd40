/**
 * The live feed: one EventSource on /api/v1/events/stream shared by every screen. It opens with a
 * one-use ticket (EventSource cannot send the API-key header); when the connection drops (the
 * platform restarted, the network blinked) it takes a new ticket and resumes after the last event
 * it saw, so nothing is missed.
 *
 * A person signed in through an identity provider gets their ticket with their ID token and asks
 * for the approvals channel only: the platform sends them the pending requests they may decide
 * and the events of the runs they started (the playground's answers), nothing else.
 */
import { signal } from "@preact/signals";
import { apiBase, post } from "./api.js";
import { apiKey, idToken } from "./session.js";

export interface FeedEvent {
  position: number;
  id: string;
  run_id: string;
  agent_id: string;
  seq: number;
  type: string;
  actor: string;
  payload_hash: string;
  message: string;
  data: Record<string, unknown>;
  timestamp: string;
}

type Listener = (event: FeedEvent) => void;

/** An agent's phase as the feed tells it (`Deleted` once it is removed). */
export interface AgentPhaseEvent {
  name: string;
  phase: string;
  message: string;
  version: number;
}

/**
 * Every pending approval request of the workspace (with or without a run) from the feed; for a
 * signed-in person, those they may decide.
 */
export const pendingApprovals = signal<number | null>(null);
const agentListeners = new Set<(event: AgentPhaseEvent) => void>();

export function onAgentPhase(listener: (event: AgentPhaseEvent) => void): () => void {
  agentListeners.add(listener);
  return () => agentListeners.delete(listener);
}

export const liveStatus = signal<"connecting" | "live" | "reconnecting" | "off">("off");
const listeners = new Set<Listener>();
let source: EventSource | undefined;
let lastId = "";
let retryMs = 1000;
let timer: ReturnType<typeof setTimeout> | undefined;

export function onFeed(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function connectFeed(): Promise<void> {
  stopFeed();
  liveStatus.value = lastId ? "reconnecting" : "connecting";
  let ticket: string;
  try {
    ticket = (await post<{ ticket: string }>("/events/stream-ticket")).ticket;
  } catch {
    scheduleRetry();
    return;
  }
  const query = new URLSearchParams({
    ticket,
    approvals: "true",
    ...(idToken.value ? {} : { agents: "true" }),
  });
  if (lastId) query.set("last_event_id", lastId);
  const es = new EventSource(`${apiBase()}/events/stream?${query}`);
  source = es;
  es.onopen = () => {
    liveStatus.value = "live";
    retryMs = 1000;
  };
  es.onmessage = (message) => {
    if (message.lastEventId) lastId = message.lastEventId;
    const event = JSON.parse(message.data) as FeedEvent;
    for (const listener of listeners) listener(event);
  };
  es.addEventListener("approval", (message) => {
    pendingApprovals.value = (
      JSON.parse((message as MessageEvent<string>).data) as { pending: number }
    ).pending;
  });
  es.addEventListener("agent", (message) => {
    const event = JSON.parse((message as MessageEvent<string>).data) as AgentPhaseEvent;
    for (const listener of agentListeners) listener(event);
  });
  // The ticket was for one connection: EventSource's own retry would be refused, so start over.
  es.onerror = () => {
    es.close();
    if (source === es) scheduleRetry();
  };
}

function scheduleRetry(): void {
  source = undefined;
  if (!apiKey.value && !idToken.value) return;
  liveStatus.value = "reconnecting";
  timer = setTimeout(() => void connectFeed(), retryMs);
  retryMs = Math.min(retryMs * 2, 10_000);
}

export function stopFeed(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  source?.close();
  source = undefined;
  liveStatus.value = "off";
}

/** The session or workspace changed: the next feed starts afresh (no old position, no old count). */
export function forgetFeed(): void {
  stopFeed();
  lastId = "";
  pendingApprovals.value = null;
}
