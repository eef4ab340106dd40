/**
 * @module
 * What every command receives: the global flags, the output, and a lazily created {@link Client}
 * whose fetch keeps the last response body, so `-o json` prints what the server sent.
 */

import { Client } from "../client/client.js";
import { type FetchLike, parseBody } from "../client/http.js";
import { configPath, endpointProblem, loadConfig, type RunAgentsConfig } from "../config.js";
import { CliError } from "./args.js";
import { httpFetch } from "./http-fetch.js";
import { Output, type Writable } from "./output.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface GlobalFlags {
  endpoint?: string;
  apiKey?: string;
  output: "table" | "json";
  /** `-o <file>` for commands that write a file (see `Command.outputFile`). */
  outputFile?: string;
}

export class Ctx {
  readonly env: Env;
  readonly cwd: string;
  readonly out: Output;
  /** Progress and notices (stderr), so stdout stays parseable. */
  readonly err: Output;
  readonly flags: GlobalFlags;
  /** The process's exit status once the command returns (a command that fails throws instead). */
  exitCode = 0;
  #client: Client | undefined;
  #lastBody: unknown;
  #lastStatus = 0;

  constructor(options: { env: Env; cwd: string; stdout: Writable; stderr: Writable; flags: GlobalFlags }) {
    this.env = options.env;
    this.cwd = options.cwd;
    this.out = new Output(options.stdout, options.env);
    this.err = new Output(options.stderr, options.env);
    this.flags = options.flags;
  }

  get json(): boolean {
    return this.flags.output === "json";
  }

  /**
   * The configuration with the global flags applied (flags > env > file > defaults). An endpoint
   * that is no http(s) URL is refused naming where it came from.
   */
  config(): RunAgentsConfig {
    const config = loadConfig({ env: this.env });
    const endpoint = (this.flags.endpoint ?? config.endpoint).trim().replace(/\/+$/, "");
    const problem = endpointProblem(endpoint);
    if (problem)
      throw new CliError(`invalid endpoint "${endpoint}" from ${this.#endpointSource()}: ${problem}`);
    return { ...config, endpoint, apiKey: (this.flags.apiKey ?? config.apiKey).trim() };
  }

  /** What to do about a key the platform refused (HTTP 401), for where the key came from. */
  apiKeyHint(): string {
    const save = '"runagents config set api-key <key>"';
    if (this.flags.apiKey !== undefined) return `check --api-key, or save a key with ${save}`;
    if (this.env.RUNAGENTS_API_KEY?.trim())
      return `check RUNAGENTS_API_KEY, or unset it and save a key with ${save}`;
    return `save a valid key with ${save}`;
  }

  #endpointSource(): string {
    if (this.flags.endpoint !== undefined) return "--endpoint";
    if (this.env.RUNAGENTS_ENDPOINT?.trim()) return "RUNAGENTS_ENDPOINT";
    return `the config file ${configPath({ env: this.env })}`;
  }

  client(): Client {
    if (this.#client) return this.#client;
    const config = this.config();
    const keep: FetchLike = async (url, init) => {
      const response = await httpFetch(url, init);
      this.#lastBody = parseBody(await response.text());
      this.#lastStatus = response.status;
      // The transport reads only `status` and `text()`, which BufferedResponse provides.
      return response as unknown as Response;
    };
    this.#client = new Client({
      endpoint: config.endpoint,
      apiKey: config.apiKey,
      namespace: config.namespace,
      fetch: keep,
    });
    return this.#client;
  }

  /**
   * A Client on the global `fetch`, for answers read as they arrive (the default client buffers
   * whole bodies to keep one-shot commands fast). Not cached: few commands need it.
   */
  streamingClient(): Client {
    const config = this.config();
    return new Client({ endpoint: config.endpoint, apiKey: config.apiKey, namespace: config.namespace });
  }

  /** The parsed body of the last response the client received. */
  lastBody(): unknown {
    return this.#lastBody;
  }

  /** The HTTP status of the last response (0 before any). */
  lastStatus(): number {
    return this.#lastStatus;
  }

  /** In JSON mode, print the last response body and return true. */
  printedRaw(): boolean {
    if (!this.json) return false;
    this.out.json(this.#lastBody);
    return true;
  }
}
