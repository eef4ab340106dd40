/**
 * @module
 * Structured logging: one JSON object per line on stderr,
 * `{"ts":"2025-01-01T00:00:00Z","level":"info","agent":"<AGENT_NAME>","msg":"<event>",...fields}`,
 * with `trace_id` and `span_id` while a request with a trace context is served.
 */

import { traceLogFields } from "./trace-context.js";

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** A logger writing JSON lines through `write` (default: stderr). */
export function createLogger(agent: string, write: (line: string) => void = stderrWrite): Logger {
  const log =
    (level: string) =>
    (msg: string, fields: LogFields = {}): void => {
      const ts = `${new Date().toISOString().slice(0, 19)}Z`;
      write(`${JSON.stringify({ ts, level, agent, msg, ...traceLogFields(), ...fields })}\n`);
    };
  return { info: log("info"), warn: log("warn"), error: log("error") };
}

/** Discards everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

function stderrWrite(line: string): void {
  process.stderr.write(line);
}
