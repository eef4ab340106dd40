/**
 * @module
 * The runtime's only writes to the platform: run checkpoints (`POST /runs/{run}/checkpoint`, read
 * back on resume) and tool-result reports (`POST /runs/{run}/tool-result`, fire-and-forget), on
 * the runtime's own platform client (`platform-http.ts`: `node:http` with keep-alive, not `fetch`).
 */

import { type JsonRecord, parseJsonObject } from "../agent/json.js";
import type { ChatMessage, OpenAITool } from "../agent/llm.js";
import { describeNetworkError } from "../agent/tool-http.js";
import type { ToolRoute } from "./env.js";
import type { Logger } from "./log.js";
import { type PlatformRequest, platformRequest } from "./platform-http.js";

/** A blocked or not-yet-run call of a paused assistant turn. */
export interface PendingCall {
  tool_call_id: string;
  function_name: string;
  /** The model's raw argument string, replayed byte for byte. */
  arguments: string;
  method: string;
  /** For reading only: capability tokens are hidden (see `path`). */
  url: string;
  /** The call's path and query under its tool's URL; absent in checkpoints of older runtimes. */
  path?: string;
  tool_name: string;
  /** The request body the blocked call sent (absent for GET-like methods). */
  body?: string;
}

/** A platform agent token (`ra_agt_…`), as it appears in capability URLs. */
const AGENT_TOKEN = /ra_agt_[A-Za-z0-9_-]*/g;

/** `text` with agent tokens replaced by `[token]`: a checkpoint never stores a live credential. */
export function redactCapabilities(text: string): string {
  return text.includes("ra_agt_") ? text.replace(AGENT_TOKEN, "[token]") : text;
}

export interface Checkpoint {
  action_id: string;
  messages: ChatMessage[];
  pending_calls: PendingCall[];
  tool_defs: OpenAITool[];
  tool_routes: Record<string, ToolRoute>;
  model: string;
  system_prompt: string;
  llm_gateway_url: string;
  resume_mode?: "user_handler";
  user_request?: JsonRecord;
  resume_state?: JsonRecord;
}

export interface ToolResultReport {
  tool_call_id: string;
  function_name: string;
  arguments: string;
  result: string;
  tool_id: string;
  turn: number;
  /** The tool's HTTP status (0 when unknown, e.g. a cached result). */
  status_code?: number;
}

export interface Governance {
  /** Best effort: failures are logged, never thrown. */
  storeCheckpoint(runId: string | undefined, checkpoint: Checkpoint): Promise<void>;
  /** `undefined` when missing, empty or unreachable. */
  fetchCheckpoint(runId: string, actionId: string): Promise<JsonRecord | undefined>;
  /** Does not wait; reports of one run are sent one after the other, in call order. */
  reportToolResult(runId: string | undefined, report: ToolResultReport): void;
  /**
   * Resolves once the run's reports so far were answered (or failed): the runtime awaits this
   * before it answers, so every tool event of a run precedes the run's outcome.
   */
  flush(runId: string | undefined): Promise<void>;
}

export function createGovernance(
  baseUrl: string,
  logger: Logger,
  request: PlatformRequest = platformRequest,
): Governance {
  const runUrl = (runId: string): string => `${baseUrl}/runs/${encodeURIComponent(runId)}`;
  /** The last report of each run still in flight. */
  const reports = new Map<string, Promise<void>>();
  return {
    async storeCheckpoint(runId, checkpoint) {
      if (!runId || !checkpoint.action_id) {
        logger.warn("cannot checkpoint: missing run_id or action_id", { run_id: runId ?? "" });
        return;
      }
      try {
        // Belt and braces: whatever else carried a token (a gateway URL, handler state) is stored without it.
        const body = redactCapabilities(JSON.stringify(checkpoint));
        const { status, text } = await request("POST", `${runUrl(runId)}/checkpoint`, body, 10_000);
        if (status < 200 || status > 299) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
        const stored = parseJsonObject(text);
        logger.info("checkpoint_stored", { run_id: runId, action_id: checkpoint.action_id, id: stored?.id });
      } catch (error) {
        logger.warn("checkpoint_failed", { run_id: runId, error: describeNetworkError(error) });
      }
    },
    async fetchCheckpoint(runId, actionId) {
      try {
        const { status, text } = await request(
          "GET",
          `${runUrl(runId)}/checkpoint/${encodeURIComponent(actionId)}`,
          undefined,
          10_000,
        );
        if (status < 200 || status > 299) return undefined;
        const checkpoint = parseJsonObject(text);
        return checkpoint && Object.keys(checkpoint).length > 0 ? checkpoint : undefined;
      } catch (error) {
        logger.warn("checkpoint_fetch_failed", { run_id: runId, error: describeNetworkError(error) });
        return undefined;
      }
    },
    reportToolResult(runId, report) {
      if (!runId) return;
      const send = () =>
        request("POST", `${runUrl(runId)}/tool-result`, JSON.stringify(report), 5_000).then(
          () => undefined,
          (error: unknown) => {
            logger.warn("tool_result_report_failed", { run_id: runId, error: describeNetworkError(error) });
          },
        );
      const next = (reports.get(runId) ?? Promise.resolve()).then(send);
      reports.set(runId, next);
      void next.then(() => {
        if (reports.get(runId) === next) reports.delete(runId);
      });
    },
    async flush(runId) {
      if (runId) await reports.get(runId);
    },
  };
}
