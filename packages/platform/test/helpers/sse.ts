/**
 * Test helper: a Server-Sent Events client over node:http (no pooling), reading `id:` / `data:`
 * events as they arrive — for the live feed on one platform or across replicas.
 */
import { type IncomingMessage, request } from "node:http";

type Json = Record<string, any>;

export interface SseEvent {
  id: string;
  /** The named event (`event:` field, e.g. `approval`), "" for a plain message. */
  event: string;
  data: Json;
}

export interface OpenStream {
  status: number;
  headers: IncomingMessage["headers"];
  /** The next event (waits for it). */
  next(): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
  /** The body of a refused request. */
  body: string;
}

export function openStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<OpenStream> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        agent: false,
        headers: { Accept: "text/event-stream", ...headers },
      },
      (res) => {
        const queue: SseEvent[] = [];
        const waiting: ((e: SseEvent) => void)[] = [];
        let buffer = "";
        let body = "";
        const ended = new Promise<void>((done) => res.on("close", () => done()));
        res.setEncoding("utf8");
        const stream: OpenStream = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          next: () =>
            new Promise((take) => (queue.length > 0 ? take(queue.shift() as SseEvent) : waiting.push(take))),
          ended,
          close: () => req.destroy(),
          get body() {
            return body;
          },
        };
        res.on("data", (chunk: string) => {
          body += chunk;
          buffer += chunk;
          let end = buffer.indexOf("\n\n");
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = Object.fromEntries(
              block
                .split("\n")
                .filter((l) => !l.startsWith(":") && l.includes(":"))
                .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trimStart()]),
            );
            if (fields.data !== undefined) {
              const event = {
                id: fields.id ?? "",
                event: fields.event ?? "",
                data: JSON.parse(fields.data) as Json,
              };
              const taker = waiting.shift();
              if (taker) taker(event);
              else queue.push(event);
            }
            end = buffer.indexOf("\n\n");
          }
        });
        if (res.statusCode !== 200) res.on("end", () => resolve(stream));
        else resolve(stream);
      },
    );
    req.on("error", reject);
    req.end();
  });
}
