/**
 * @module governance/connector-test
 * Health check of an approval connector configuration: `config`, `credentials` and
 * `connectivity`. The connectivity check really delivers a test message the way approval
 * requests are delivered (`connector-send.ts`): a signed `approval_connector.test` event to a
 * webhook, an incoming-webhook message to a Slack endpoint URL. Slack channel endpoints, Teams,
 * Jira and PagerDuty would need their external APIs, so their connectivity check is `skipped`.
 */
import { isHttpUrl, sendOnce, unsendable } from "./connector-send.js";
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
      : unsendable(input) === undefined
        ? await sendTest(input)
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
      if (!has("X-Slack-Bot-Token") && !isHttpUrl(input.endpoint)) {
        return missing(
          "X-Slack-Bot-Token",
          "the Slack bot token, unless the endpoint is an incoming-webhook URL",
        );
      }
      if (input.slack_security_mode === "strict" && !has("X-Slack-Signing-Secret")) {
        return missing("X-Slack-Signing-Secret", "required by slack_security_mode strict");
      }
      return {
        message: has("X-Slack-Bot-Token")
          ? "Slack bot token present"
          : "incoming-webhook URL: no token needed",
      };
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

async function sendTest(input: ConnectorTestInput): Promise<ConnectorTestCheck> {
  const timestamp = new Date().toISOString();
  const result = await sendOnce(input, {
    event: "approval_connector.test",
    payload: { event: "approval_connector.test", test: true, timestamp },
    summary: "RunAgents approval connector test",
    details: [`Sent at ${timestamp}: approval requests will be delivered here.`],
  });
  if (result.kind === "skipped") return skipped(result.message);
  return {
    id: "connectivity",
    label: "Connectivity",
    status: result.ok ? "passed" : "failed",
    message: result.message,
    duration_ms: result.durationMs,
  };
}

const elapsed = (started: number): number => Math.round((performance.now() - started) * 100) / 100;
