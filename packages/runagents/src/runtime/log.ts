/**
 * @module
 * Structured logging: one JSON object per line on stderr,
 * `{"ts":"2025-01-01T00:00:00Z","level":"info","agent":"<AGENT_NAME>","msg":"<event>",...fields}`,
 * with `trace_id` and `span_id` while a request with a trace context is served.
 *
 * Lines bound for stderr are batched: they are written together at most {@link LOG_BATCH_MS} after
 * the first of them, or as soon as {@link LOG_BATCH_BYTES} are waiting, which turns one `write(2)`
 * per request into one per batch under load. Nothing waiting is lost when the process ends: the
 * batch is written on `exit` (so on `process.exit()` and after a crash) and before an uncaught
 * exception is reported, so the lines that led to a crash precede its stack trace. Only a process
 * killed outright (SIGKILL) can lose its last {@link LOG_BATCH_MS}.
 */

import { traceLogFields } from "./trace-context.js";

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** The longest a stderr log line waits to be written. */
export const LOG_BATCH_MS = 20;
/** Waiting lines are written as soon as they add up to this many characters. */
export const LOG_BATCH_BYTES = 32 * 1024;

/** A logger writing JSON lines through `write` (default: stderr, batched). */
export function createLogger(agent: string, write: (line: string) => void = stderrBatch): Logger {
  const prefix = `","agent":${JSON.stringify(agent)},"msg":`;
  const log = (level: string) => {
    // `","level":"info","agent":"…","msg":"…"` per message, `,"key":` per field name: both are
    // nearly always constants, so they are escaped once.
    const heads = new Map<string, string>();
    return (msg: string, fields?: LogFields): void => {
      let head = heads.get(msg);
      if (head === undefined) {
        head = `","level":"${level}${prefix}${JSON.stringify(msg)}`;
        if (heads.size < CACHED_NAMES) heads.set(msg, head);
      }
      let line = `{"ts":"${timestamp()}${head}`;
      const trace = traceLogFields();
      if (trace.trace_id !== undefined)
        line += `,"trace_id":"${trace.trace_id}","span_id":"${trace.span_id}"`;
      if (fields !== undefined) {
        for (const key in fields) {
          const value = JSON.stringify(fields[key]);
          if (value !== undefined) line += `${fieldName(key)}${value}`;
        }
      }
      write(`${line}}\n`);
    };
  };
  return { info: log("info"), warn: log("warn"), error: log("error") };
}

/** Messages and field names escaped once are kept up to this many (they are nearly all constants). */
const CACHED_NAMES = 512;
const fieldNames = new Map<string, string>();

/** `,"key":` */
function fieldName(key: string): string {
  let name = fieldNames.get(key);
  if (name === undefined) {
    name = `,${JSON.stringify(key)}:`;
    if (fieldNames.size < CACHED_NAMES) fieldNames.set(key, name);
  }
  return name;
}

/** Discards everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Writes the stderr lines still waiting in the batch now (the runtime calls it before exiting). */
export function flushLogs(): void {
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (waiting.length === 0) return;
  const text = waiting.length === 1 ? (waiting[0] as string) : waiting.join("");
  waiting = [];
  waitingChars = 0;
  process.stderr.write(text);
}

let waiting: string[] = [];
let waitingChars = 0;
let timer: NodeJS.Timeout | undefined;
let hooked = false;

function stderrBatch(line: string): void {
  if (!hooked) {
    hooked = true;
    // Writes to stderr are synchronous for files, pipes and terminals on POSIX, so these complete.
    process.on("exit", flushLogs);
    process.on("uncaughtExceptionMonitor", flushLogs);
  }
  waiting.push(line);
  waitingChars += line.length;
  if (waitingChars >= LOG_BATCH_BYTES) flushLogs();
  else if (timer === undefined) {
    timer = setTimeout(flushLogs, LOG_BATCH_MS);
    timer.unref();
  }
}

let second = 0;
let stamp = "";

/** `2025-01-01T00:00:00Z`, computed once per second. */
function timestamp(): string {
  const now = Math.floor(Date.now() / 1000);
  if (now !== second) {
    second = now;
    stamp = `${new Date(now * 1000).toISOString().slice(0, 19)}Z`;
  }
  return stamp;
}
