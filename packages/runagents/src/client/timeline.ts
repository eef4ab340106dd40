/**
 * @module
 * The operator timeline synthesised client-side from a run and its events (api-contract §2.3.4).
 */

import type { Run, RunEvent, RunTimelineEntry } from "./governance-types.js";
import type { JsonObject } from "./types.js";

const MAX_SUMMARY = 120;

/** Trim, then cut text longer than `max` to `max - 3` characters plus `...`. */
export function truncate(value: string, max = MAX_SUMMARY): string {
  const trimmed = value.trim();
  if (max <= 0 || trimmed.length <= max) return trimmed;
  if (max <= 3) return trimmed.slice(0, max);
  return `${trimmed.slice(0, max - 3)}...`;
}

/** A data value as text: strings as is, other values stringified (objects as JSON). */
function dataText(data: JsonObject, key: string): string {
  const value = data[key];
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function firstNonEmpty(...values: string[]): string {
  return values.find((value) => value.trim() !== "") ?? "";
}

function humanize(type: string): string {
  const words = type.trim().toLowerCase().replaceAll("_", " ");
  return words === "" ? "Event" : words.charAt(0).toUpperCase() + words.slice(1);
}

function toolRequestSummary(data: JsonObject): string {
  const tool = firstNonEmpty(dataText(data, "tool_id"), dataText(data, "tool")) || "tool";
  const method = dataText(data, "tool_method");
  const url = dataText(data, "tool_url");
  const capability = dataText(data, "capability");
  const parts = [tool];
  if (capability) parts.push(capability);
  if (method && url) parts.push(`${method} ${url}`);
  else if (method || url) parts.push(method || url);
  return `Called ${parts.join(" ")}`;
}

function describe(event: RunEvent): string {
  const data = event.data;
  const get = (key: string): string => dataText(data, key);
  const message = firstNonEmpty(get("message"), get("detail"), get("summary"));
  if (message) return message;
  const tool = firstNonEmpty(get("tool_id"), get("tool"));
  const approver = firstNonEmpty(get("approver_id"), event.actor);

  switch (event.type) {
    case "RUN_CREATED":
      return "Run created";
    case "USER_MESSAGE":
      return firstNonEmpty(get("content"), get("message"), "User message received");
    case "AGENT_MESSAGE":
      return firstNonEmpty(get("content"), get("message"), "Agent response emitted");
    case "TOOL_REQUEST":
    case "TOOL_CALLED":
      return toolRequestSummary(data);
    case "TOOL_RESPONSE": {
      const status = get("status_code");
      if (tool && status) return `${tool} returned HTTP ${status}`;
      return tool ? `${tool} returned successfully` : "Tool response recorded";
    }
    case "APPROVAL_REQUIRED": {
      const capability = get("capability");
      const target = tool || "governed tool call";
      return capability
        ? `Approval required for ${target} (${capability})`
        : `Approval required for ${target}`;
    }
    case "CONSENT_REQUIRED":
      return `Consent required for ${tool || "delegated tool call"}`;
    case "APPROVED":
      return approver ? `Approved by ${approver}` : "Approval granted";
    case "REJECTED":
      return approver ? `Rejected by ${approver}` : "Approval rejected";
    case "RESUMED":
      return "Run resumed after external decision";
    case "INVOKE_REQUESTED":
      return "Agent invocation requested";
    case "INVOKE_COMPLETED":
      return "Agent invocation completed";
    case "INVOKE_FAILED":
      return firstNonEmpty(get("error"), "Agent invocation failed");
    case "COMPLETED":
      return "Run completed successfully";
    case "FAILED":
      return firstNonEmpty(get("error"), "Run failed");
    default: {
      const keys = Object.keys(data).sort();
      if (keys.length === 0) return humanize(event.type);
      return keys.map((key) => `${key}=${dataText(data, key)}`).join(", ");
    }
  }
}

/** One-line summary of an event, at most 120 characters. */
export function summarizeEvent(event: RunEvent): string {
  return truncate(describe(event));
}

/** One entry per event; a run without events gets a single "Run is currently <status>" entry. */
export function buildTimeline(run: Run, events: readonly RunEvent[]): RunTimelineEntry[] {
  if (events.length === 0) {
    return [
      {
        sequence: 0,
        type: run.status,
        actor: "",
        summary: `Run is currently ${run.status}`,
        timestamp: run.updatedAt || run.createdAt,
        data: {},
      },
    ];
  }
  return events.map((event) => ({
    sequence: event.sequence,
    type: event.type,
    actor: event.actor,
    summary: summarizeEvent(event),
    timestamp: event.timestamp,
    data: event.data,
  }));
}
