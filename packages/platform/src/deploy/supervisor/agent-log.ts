/**
 * @module deploy/supervisor/agent-log
 * One agent's log: its processes' stdout and stderr lines plus the supervisor's own notes
 * (`[runagents] ...`), kept in a ring buffer (the last 2000 lines) and appended to
 * `<agentDir>/agent.log` (rotated to `agent.log.1` past 10 MiB). After a platform restart the
 * buffer starts with the file's last lines. Agent tokens are hidden (`ra_agt_…` → `[token]`)
 * before a line is kept, since anyone who can read logs must not be able to act as the agent.
 * `onLine` sees every kept line as it is appended (`GET /agents/{name}/logs?follow=true`).
 */
import {
  closeSync,
  createWriteStream,
  openSync,
  readSync,
  renameSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { redactAgentTokens } from "../../governance/agent-identity.js";

const CAPACITY = 2000;
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const PRELOAD_BYTES = 256 * 1024;

export class AgentLog {
  readonly file: string;
  #lines: string[] = [];
  #stream: WriteStream | undefined;
  #bytes = 0;

  readonly #onLine: ((line: string) => void) | undefined;

  constructor(file: string, onLine?: (line: string) => void) {
    this.file = file;
    this.#onLine = onLine;
    this.#lines = readTail(file);
    try {
      this.#bytes = statSync(file).size;
    } catch {
      this.#bytes = 0;
    }
  }

  append(line: string): void {
    const kept = redactAgentTokens(line.length > 16_384 ? `${line.slice(0, 16_384)}…` : line);
    this.#lines.push(kept);
    if (this.#lines.length > CAPACITY) this.#lines.splice(0, this.#lines.length - CAPACITY);
    const text = `${kept}\n`;
    this.#bytes += Buffer.byteLength(text);
    if (this.#bytes > MAX_FILE_BYTES) this.#rotate();
    this.#stream ??= createWriteStream(this.file, { flags: "a", mode: 0o600 }).on("error", () => {
      this.#stream = undefined;
    });
    this.#stream.write(text);
    this.#onLine?.(kept);
  }

  /** A supervisor note, timestamped. */
  note(message: string): void {
    this.append(`[runagents] ${new Date().toISOString()} ${message}`);
  }

  /** The last `n` lines, oldest first. */
  tail(n: number): string[] {
    return n <= 0 ? [] : this.#lines.slice(-n);
  }

  close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(() => resolve()));
  }

  #rotate(): void {
    this.#stream?.end();
    this.#stream = undefined;
    try {
      renameSync(this.file, `${this.file}.1`);
    } catch {
      // nothing to rotate yet
    }
    this.#bytes = 0;
  }
}

/** Splits a stream of chunks into lines for `onLine` (the last partial line on `end`). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = "";
  return {
    push(chunk) {
      const parts = (rest + chunk).split(/\r?\n/);
      rest = parts.pop() ?? "";
      for (const part of parts) onLine(part);
    },
    end() {
      if (rest) onLine(rest);
      rest = "";
    },
  };
}

function readTail(file: string): string[] {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const size = statSync(file).size;
    const length = Math.min(size, PRELOAD_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString("utf8").split("\n");
    if (size > length) lines.shift();
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-CAPACITY);
  } catch {
    return [];
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
