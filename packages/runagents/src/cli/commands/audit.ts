/**
 * @module
 * `runagents audit export|verify`: save the platform's tamper-evident audit trail (NDJSON, one line
 * per run event, then a head line) and check a saved one offline. See docs/audit.md.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import type { AuditLine } from "../../audit/chain.js";
import { AuditVerificationError, AuditVerifier, describeSummary } from "../../audit/verify.js";
import { CliError, type Command, flag, type Group, str } from "../args.js";

const windowOptions = {
  from: { type: "string", value: "<time>", help: "only events at or after this ISO 8601 time" },
  to: { type: "string", value: "<time>", help: "only events before this ISO 8601 time" },
} as const;

async function writeTo(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, "drain");
}

const exportCommand: Command = {
  name: "export",
  summary: "Save the tamper-evident audit trail (NDJSON) of a run or of the workspace",
  options: {
    run: { type: "string", value: "<run-id>", help: "only this run (default: every run of the workspace)" },
    ...windowOptions,
  },
  outputFile: true,
  details:
    "Writes to stdout, or to the file named by -o <file>. The export is checked as it arrives;\n" +
    'the summary (and the head to publish, see "runagents audit verify") goes to stderr.',
  async run(ctx, parsed) {
    const runId = str(parsed, "run")?.trim();
    const window = { from: str(parsed, "from"), to: str(parsed, "to") };
    const client = ctx.streamingClient();
    const lines: AsyncIterable<AuditLine> = runId
      ? client.runs.auditExport(runId, window)
      : client.audit.export(window);
    const file = ctx.flags.outputFile;
    const sink = file ? createWriteStream(file, { mode: 0o600 }) : undefined;
    const verifier = new AuditVerifier();
    let problem: AuditVerificationError | undefined;
    try {
      for await (const line of lines) {
        const text = JSON.stringify(line);
        if (!problem) {
          try {
            verifier.push(text);
          } catch (error) {
            if (!(error instanceof AuditVerificationError)) throw error;
            problem = error;
          }
        }
        if (sink) await writeTo(sink, `${text}\n`);
        else await ctx.out.write(`${text}\n`);
      }
    } finally {
      if (sink) {
        sink.end();
        await once(sink, "close");
      }
    }
    if (problem) throw new CliError(`the export does not verify: ${problem.message}`);
    let summary: string;
    try {
      summary = describeSummary(verifier.finish(), "exported");
    } catch (error) {
      throw new CliError(`the export does not verify: ${(error as Error).message}`);
    }
    ctx.err.line(file ? `${file}: ${summary}` : summary);
  },
};

const verifyCommand: Command = {
  name: "verify",
  summary: "Check a saved audit export offline: every event's hash, every chain link, the head",
  args: "<file>",
  min: 1,
  options: {
    head: {
      type: "string",
      value: "<sha256:...>",
      help: "also require this head (one you published earlier)",
    },
    strict: {
      type: "boolean",
      help: "fail when events predate the chain or a run continues an earlier export",
    },
  },
  details:
    "Exit 0 with a one-line summary when the file verifies; exit 1 naming the first bad line\n" +
    "(run id, seq and what did not match) otherwise.",
  async run(ctx, parsed) {
    const path = parsed.positionals[0] ?? "";
    const verifier = new AuditVerifier();
    const input = createReadStream(path, { encoding: "utf8" });
    try {
      for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }))
        verifier.push(line);
    } catch (error) {
      throw verifyError(path, error);
    }
    let summary: ReturnType<AuditVerifier["finish"]>;
    try {
      summary = verifier.finish();
    } catch (error) {
      throw verifyError(path, error);
    }
    const published = str(parsed, "head")?.trim();
    if (published && published !== summary.head) {
      throw new CliError(`${path}: head ${summary.head} is not the expected ${published}`);
    }
    if (flag(parsed, "strict") && (summary.unchained > 0 || summary.openRuns > 0)) {
      throw new CliError(`${path}: ${describeSummary(summary, "only partly verified")}`);
    }
    if (ctx.json) return ctx.out.json(summary);
    ctx.out.line(describeSummary(summary));
  },
};

function verifyError(path: string, error: unknown): CliError {
  if (error instanceof AuditVerificationError) return new CliError(`${path}: ${error.message}`);
  const code = (error as { code?: string }).code;
  if (code === "ENOENT") return new CliError(`${path}: no such file`);
  return new CliError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
}

export const audit: Group = {
  name: "audit",
  summary: "Export and verify the tamper-evident audit trail",
  commands: [exportCommand, verifyCommand],
};
