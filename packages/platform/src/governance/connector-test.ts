/**
 * @module governance/connector-test
 * Health check of an approval connector configuration: `config`, `credentials` and
 * `connectivity`. Only webhooks are contacted (a real POST of a test event, with the timeout);
 * Slack, Teams, Jira and PagerDuty are external services that the local platform does not call
 * from a test, so their connectivity check is `skipped`.
 */
import {
  CONNECTOR_TYPES,
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
  SLACK_SECURITY_MODES,
} from "./connectors.js";

export interface ConnectorTestInput {
  type: string;
  endpoint: string;
  headers: Record<string, string>;
  timeout_seconds: number;
  slack_security_mode: string;
}

export type CheckStatus = "passed" | "failed" | "skipped";

export interface ConnectorTestCheck {
  id: "config" | "credentials" | "connectivity";
  label: string;
  status: CheckStatus;
  message: string;
  duration_ms: number;
}

export interface ConnectorTestResult {
  status: "healthy" | "unhealthy";
  connector_type: string;
  endpoint: string;
  checks: ConnectorTestCheck[];
}

const URL_TYPES = new Set(["webhook", "teams"]);

export async function testConnector(input: ConnectorTestInput): Promise<ConnectorTestResult> {
  const config = timed("config", "Configuration", () => configProblem(input));
  const credentials = timed("credentials", "Credentials", () => credentialsProblem(input));
  const connectivity =
    config.status === "failed"
      ? skipped("the configuration is invalid")
      : input.type === "webhook"
        ? await pingWebhook(input)
        : skipped(
            `${input.type} connectivity is not checked by the local platform (it would contact an external service)`,
          );
  const checks = [config, credentials, connectivity];
  return {
    status: checks.some((c) => c.status === "failed") ? "unhealthy" : "healthy",
    connector_type: input.type,
    endpoint: input.endpoint,
    checks,
  };
}

function timed(
  id: "config" | "credentials",
  label: string,
  run: () => { problem?: string; message: string },
): ConnectorTestCheck {
  const started = performance.now();
  const { problem, message } = run();
  return {
    id,
    label,
    status: problem ? "failed" : "passed",
    message: problem ?? message,
    duration_ms: elapsed(started),
  };
}

const skipped = (why: string): ConnectorTestCheck => ({
  id: "connectivity",
  label: "Connectivity",
  status: "skipped",
  message: `skipped: ${why}`,
  duration_ms: 0,
});

function configProblem(input: ConnectorTestInput): { problem?: string; message: string } {
  const message = `${input.type} connector configuration is valid`;
  if (!(CONNECTOR_TYPES as readonly string[]).includes(input.type)) {
    return { problem: `type must be one of ${CONNECTOR_TYPES.join(", ")}`, message };
  }
  if (input.endpoint.trim() === "") return { problem: "endpoint is required", message };
  if (URL_TYPES.has(input.type) && !isHttpUrl(input.endpoint)) {
    return { problem: "endpoint must be an absolute http(s) URL", message };
  }
  const t = input.timeout_seconds;
  if (!Number.isInteger(t) || t < MIN_TIMEOUT_SECONDS || t > MAX_TIMEOUT_SECONDS) {
    return {
      problem: `timeout_seconds must be an integer between ${MIN_TIMEOUT_SECONDS} and ${MAX_TIMEOUT_SECONDS}`,
      message,
    };
  }
  if (
    input.slack_security_mode &&
    !(SLACK_SECURITY_MODES as readonly string[]).includes(input.slack_security_mode)
  ) {
    return { problem: `slack_security_mode must be one of ${SLACK_SECURITY_MODES.join(", ")}`, message };
  }
  return { message };
}

function credentialsProblem(input: ConnectorTestInput): { problem?: string; message: string } {
  const names = Object.entries(input.headers)
    .filter(([, v]) => v.trim() !== "")
    .map(([k]) => k.toLowerCase());
  const has = (name: string) => names.includes(name.toLowerCase());
  const missing = (name: string, why: string) => ({
    problem: `missing header ${name} (${why})`,
    message: "",
  });
  switch (input.type) {
    case "slack":
      if (!has("X-Slack-Bot-Token")) return missing("X-Slack-Bot-Token", "the Slack bot token");
      if (input.slack_security_mode === "strict" && !has("X-Slack-Signing-Secret")) {
        return missing("X-Slack-Signing-Secret", "required by slack_security_mode strict");
      }
      return { message: "Slack bot token present" };
    case "jira":
      if (!has("Authorization")) return missing("Authorization", "Jira API credentials");
      return { message: "Jira credentials present" };
    case "pagerduty":
      if (!names.some((n) => n.includes("routing-key"))) {
        return missing("X-Routing-Key", "the PagerDuty routing key");
      }
      return { message: "PagerDuty routing key present" };
    default:
      return {
        message: names.length === 0 ? "no credentials required" : `${names.length} header(s) will be sent`,
      };
  }
}

async function pingWebhook(input: ConnectorTestInput): Promise<ConnectorTestCheck> {
  const started = performance.now();
  const check = (status: CheckStatus, message: string): ConnectorTestCheck => ({
    id: "connectivity",
    label: "Connectivity",
    status,
    message,
    duration_ms: elapsed(started),
  });
  try {
    const res = await fetch(input.endpoint, {
      method: "POST",
      redirect: "manual",
      headers: { ...input.headers, "Content-Type": "application/json" },
      body: JSON.stringify({
        event: "approval_connector.test",
        test: true,
        timestamp: new Date().toISOString(),
      }),
      signal: AbortSignal.timeout(input.timeout_seconds * 1000),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return check("passed", `endpoint answered HTTP ${res.status}`);
    return check("failed", `endpoint answered HTTP ${res.status}`);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if ((err as Error).name === "TimeoutError") {
      return check("failed", `no answer within ${input.timeout_seconds}s`);
    }
    return check("failed", code ? `network error: ${code}` : `network error: ${(err as Error).message}`);
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

const elapsed = (started: number): number => Math.round((performance.now() - started) * 100) / 100;
