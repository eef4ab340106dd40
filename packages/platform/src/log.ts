/**
 * @module log
 * Structured JSON logs, one object per line. Tests inject a sink to read what would be printed.
 * Every line is redacted on its way out, whatever wrote it: agent tokens (`ra_agt_...`), API
 * keys (`ra_ws_...`), `Bearer <value>`, and `api_key=` / `token=` / `access_token=` (and similar)
 * query or form values. While a trace span is active a line carries its `trace_id` and `span_id`.
 */
import { logTraceFields } from "./observability/tracing.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRETS =
  /ra_agt_[A-Za-z0-9_-]+|ra_ws_[A-Za-z0-9_-]+|(\bBearer\s+)[^\s"'\\,;]+|([?&;\s"](?:api[_-]?key|apikey|token|access_token|refresh_token|id_token|client_secret|password)=)[^&\s"'\\#]+/gi;

/** `text` with every credential-looking value replaced (see the module comment). */
export function redactSecrets(text: string): string {
  return text.replace(SECRETS, (match, bearer?: string, param?: string) => {
    if (bearer) return `${bearer}[REDACTED]`;
    if (param) return `${param}[REDACTED]`;
    return match.startsWith("ra_agt_") || match.startsWith("RA_AGT_") ? "[token]" : "[REDACTED]";
  });
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(options: { level?: LogLevel; sink?: (line: string) => void } = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    const trace = logTraceFields();
    sink(redactSecrets(JSON.stringify({ time: new Date().toISOString(), level, msg, ...trace, ...fields })));
  };
  return {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
