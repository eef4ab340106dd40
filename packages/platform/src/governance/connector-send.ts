/**
 * @module governance/connector-send
 * The wire format of approval connectors and one POST to one of them.
 *
 * - `webhook`: the event as JSON, signed: `X-RunAgents-Signature: sha256=<hex HMAC-SHA256 of the
 *   exact body bytes>` keyed with the connector's `X-Signing-Secret` header value. That header is
 *   the signing key and is never sent; the connector's other headers are sent as given. Also
 *   `X-RunAgents-Event` (e.g. `approval.requested`) and `X-RunAgents-Delivery` (a uuid, the same
 *   on every retry of one delivery). A connector without a signing secret is delivered unsigned.
 * - `slack`: an incoming-webhook message (`{text, blocks}`) POSTed to the endpoint when it is an
 *   http(s) URL; no connector header is sent there (the Slack tokens are for the Slack API).
 *   An endpoint that is a channel id would need the Slack API: not sent by the local platform.
 * - `teams`, `jira`, `pagerduty`: not delivered by the local platform.
 */
import { createHmac, randomUUID } from "node:crypto";

export const SIGNATURE_HEADER = "X-RunAgents-Signature";
export const SIGNING_SECRET_HEADER = "X-Signing-Secret";

export interface SendTarget {
  type: string;
  endpoint: string;
  headers: Record<string, string>;
  timeout_seconds: number;
}

export interface ConnectorMessage {
  event: string;
  /** The webhook JSON body. */
  payload: Record<string, unknown>;
  /** The one-line summary Slack shows. */
  summary: string;
  /** Extra Slack lines (mrkdwn). */
  details: string[];
}

export type SendResult =
  | { kind: "sent"; ok: boolean; status: number; message: string; durationMs: number; retryable: boolean }
  | { kind: "skipped"; message: string };

export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

export const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
};

/** Why this target cannot be sent to by the local platform, or undefined when it can. */
export function unsendable(target: SendTarget): string | undefined {
  if (target.type === "webhook")
    return isHttpUrl(target.endpoint) ? undefined : "the endpoint is not an http(s) URL";
  if (target.type === "slack") {
    return isHttpUrl(target.endpoint)
      ? undefined
      : "a Slack channel endpoint needs the Slack API; use an incoming-webhook URL as the endpoint";
  }
  return `${target.type} delivery is not supported by the local platform`;
}

/** The request a target gets for a message: method POST, these headers and this body. */
export function renderRequest(target: SendTarget, message: ConnectorMessage, deliveryId: string) {
  if (target.type === "slack") {
    const body = JSON.stringify({
      text: message.summary,
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: `*${message.summary}*` } },
        ...(message.details.length > 0
          ? [{ type: "section", text: { type: "mrkdwn", text: message.details.join("\n") } }]
          : []),
      ],
    });
    return { headers: { "Content-Type": "application/json" }, body };
  }
  const body = JSON.stringify(message.payload);
  const headers: Record<string, string> = {};
  let secret = "";
  for (const [name, value] of Object.entries(target.headers)) {
    if (name.toLowerCase() === SIGNING_SECRET_HEADER.toLowerCase()) secret = value;
    else headers[name] = value;
  }
  headers["Content-Type"] = "application/json";
  headers["X-RunAgents-Event"] = message.event;
  headers["X-RunAgents-Delivery"] = deliveryId;
  if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body);
  return { headers, body };
}

/** One POST with the target's timeout. Never throws; messages never quote header values. */
export async function sendOnce(
  target: SendTarget,
  message: ConnectorMessage,
  deliveryId: string = randomUUID(),
): Promise<SendResult> {
  const why = unsendable(target);
  if (why) return { kind: "skipped", message: why };
  const { headers, body } = renderRequest(target, message, deliveryId);
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    const res = await fetch(target.endpoint, {
      method: "POST",
      redirect: "manual",
      headers,
      body,
      signal: AbortSignal.timeout(target.timeout_seconds * 1000),
    });
    await res.body?.cancel();
    const ok = res.status >= 200 && res.status < 300;
    return {
      kind: "sent",
      ok,
      status: res.status,
      message: `endpoint answered HTTP ${res.status}`,
      durationMs: elapsed(),
      retryable: res.status === 429 || res.status >= 500,
    };
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    const message =
      (err as Error).name === "TimeoutError"
        ? `no answer within ${target.timeout_seconds}s`
        : code
          ? `network error: ${code}`
          : `network error: ${(err as Error).message}`;
    return { kind: "sent", ok: false, status: 0, message, durationMs: elapsed(), retryable: true };
  }
}
