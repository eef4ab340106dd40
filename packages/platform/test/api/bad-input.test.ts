/**
 * Every registered /api/v1 route, fed hostile path parameters and bad bodies: the answer is a
 * 4xx with a JSON `error` (or a documented success where an empty body is legitimately valid),
 * never a 5xx or a stack trace; a 4xx changes nothing stored; the process keeps answering.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RouteDef } from "../../src/api/context.js";
import { Router } from "../../src/api/router.js";
import { registerApiRoutes } from "../../src/api/routes/index.js";
import { providerProbeSettled } from "../../src/gateway/health.js";
import type { ResourceKind, Store } from "../../src/store/store.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { type RawResponse, rawRequest } from "../helpers/raw-request.js";

type Json = Record<string, any>;

const MAX_BODY = 64 * 1024;
/** Every kind, checked by the compiler: a new ResourceKind must be added here. */
const KINDS = Object.keys({
  agent: 1,
  tool: 1,
  model_provider: 1,
  policy: 1,
  identity_provider: 1,
  approval_connector: 1,
  approval_connector_activity: 1,
  deploy_draft: 1,
  analysis: 1,
  access_request: 1,
  blocked_action: 1,
  checkpoint: 1,
  idempotency: 1,
  setting: 1,
  model_usage: 1,
  agent_source: 1,
  resume_job: 1,
  oauth_consent: 1,
} satisfies Record<ResourceKind, 1>) as ResourceKind[];

/**
 * Routes for which a body-less or `{}` call (and bodies with unknown or ignored fields) is
 * legitimately a success, with the statuses the contract documents for them.
 */
const LENIENT: Record<string, number[]> = {
  "POST /starter-kit": [200, 201],
  "POST /deploy-drafts": [201],
  "PUT /approval-connectors/defaults": [200],
  // Reports a configuration's failed checks in a 200 `{status: "unhealthy", checks}` (contract §3.12).
  "POST /approval-connectors/test": [200],
  "POST /events/stream-ticket": [201],
};

const PARAM_VALUES: [string, (param: string) => string][] = [
  ["valid-looking", (p) => (/id$/i.test(p) ? "00000000-0000-4000-8000-000000000000" : "no-such-thing-1")],
  ["traversal", () => "%2E%2E%2Fetc%2Fpasswd"],
  ["unicode", () => encodeURIComponent("ünïcødé-名前")],
  ["sql", () => encodeURIComponent("x'; DROP TABLE resources;--")],
];

const OVERSIZED = JSON.stringify({ name: "big", pad: "x".repeat(MAX_BODY + 1) });
/** [label, raw body, must be rejected whatever the route] */
const BODIES: [string, string | undefined, boolean][] = [
  ["no body", undefined, false],
  ["{}", "{}", false],
  ["malformed JSON", '{"name": ', true],
  ["single-quoted JSON", "{'name': 'x'}", true],
  ["[]", "[]", true],
  ['"s"', '"s"', true],
  ["42", "42", true],
  ["null", "null", true],
  ["name: 42", '{"name": 42}', false],
  ["name: list", '{"name": ["a"]}', false],
  ["spec: string", '{"spec": "x"}', false],
  ["spec: list", '{"name": "bad-input-x", "spec": [], "expiresInDays": "x"}', false],
  ["files: list", '{"files": []}', false],
  ["status: number", '{"status": 7}', false],
  ["url: number", '{"url": 5}', false],
  ["text: number", '{"text": 1}', false],
  ["type: number", '{"type": 5}', false],
  ["actions: string", '{"actions": "x"}', false],
  ["model/messages wrong", '{"model": 1, "messages": "x"}', false],
  ["agent_id/user_id objects", '{"agent_id": {}, "user_id": []}', false],
  ["traversal name", '{"name": "../etc/passwd", "base_url": "http://127.0.0.1:1"}', false],
  ["sql name", `{"name": "x'; DROP TABLE resources;--", "agent_name": "x'; DROP TABLE runs;--"}`, false],
  ["oversized", OVERSIZED, true],
];
const HOSTILE_BODIES = BODIES.filter(([label]) =>
  ["no body", "{}", "malformed JSON", "name: 42", "traversal name", "oversized"].includes(label),
);

const routes = (() => {
  const api = new Router<RouteDef>();
  registerApiRoutes(api);
  return { api, patterns: api.patterns };
})();

const fill = (pattern: string, value: (param: string) => string): string =>
  pattern.replace(/:([^/]+)/g, (_, name: string) => value(name));

describe("bad input on every route", () => {
  let platform: TestPlatform;
  const secrets: [string, string][] = [];
  let auth: Record<string, string> = {};

  before(async () => {
    platform = await startTestPlatform({ config: { maxBodyBytes: MAX_BODY } });
    await seed(platform, secrets);
    const key = await platform.call("POST", "/auth/api-keys", { name: "bad-input-admin", role: "admin" });
    assert.equal(key.status, 201);
    auth = { "X-RunAgents-API-Key": (key.json as Json).token };
  });
  after(() => platform.destroy());

  it("tests the routes the platform actually registered", () => {
    assert.deepEqual(platform.services.api.patterns, routes.patterns);
    assert.ok(routes.patterns.length > 0);
  });

  for (const { method, path: pattern } of routes.patterns) {
    it(`${method} ${pattern} answers bad input with a 4xx JSON error and changes nothing`, async () => {
      const problems: string[] = [];
      const key = `${method} ${pattern}`;
      const variants = pattern.includes(":") ? PARAM_VALUES : PARAM_VALUES.slice(0, 1);
      for (const [variant, value] of variants) {
        const path = `/api/v1${fill(pattern, value)}`;
        const bodies = variant === "valid-looking" ? BODIES : HOSTILE_BODIES;
        for (const [label, body, mustReject] of bodies) {
          const what = `${key} [${variant} params, ${label}]`;
          const before = await snapshot(platform.store, secrets);
          let res: RawResponse;
          try {
            res = await rawRequest(platform.url, method, path, body, auth);
          } catch (err) {
            problems.push(`${what}: request failed: ${(err as Error).message}`);
            continue;
          }
          checkCommon(res, what, problems);
          if (res.status >= 400 && res.status < 500) {
            if (label === "oversized" && res.status !== 413) problems.push(`${what}: ${res.status}, not 413`);
            const after = await snapshot(platform.store, secrets);
            if (after !== before) problems.push(`${what}: a ${res.status} changed stored data`);
          } else if (res.status < 300) {
            const lenient = LENIENT[key];
            const allowed = method === "GET" ? [200] : (lenient ?? []);
            if (mustReject || !allowed.includes(res.status)) {
              problems.push(`${what}: unexpected success ${res.status} ${res.text.slice(0, 200)}`);
            }
          } else if (res.status < 500) {
            problems.push(`${what}: unexpected status ${res.status}`);
          }
        }
        problems.push(...(await wrongMethods(platform, path, auth)));
      }
      const health = await rawRequest(platform.url, "GET", "/healthz");
      if (health.status !== 200) problems.push(`/healthz answered ${health.status} after ${key}`);
      assert.deepEqual(problems, []);
    });
  }

  it("answers unknown routes with a JSON 404 and changes nothing", async () => {
    const problems: string[] = [];
    const before = await snapshot(platform.store, secrets);
    const paths = [
      "/api/v1/no-such-route",
      "/api/v1/tools/a/b/c/d/e",
      "/api/v1/workspaces/default/no-such-route",
      "/api/v1/%2E%2E%2Fetc%2Fpasswd",
      `/api/v1/${encodeURIComponent("ünïcødé-名前")}`,
      `/api/v1/${"a".repeat(4000)}`,
      "/api/v2/tools",
    ];
    for (const path of paths) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        const res = await rawRequest(platform.url, method, path, method === "GET" ? undefined : "{}", auth);
        checkCommon(res, `${method} ${path.slice(0, 60)}`, problems);
        if (res.status !== 404) problems.push(`${method} ${path.slice(0, 60)}: ${res.status}, not 404`);
      }
    }
    assert.deepEqual(problems, []);
    assert.equal(await snapshot(platform.store, secrets), before);
  });
});

/** Every 4xx carries a JSON `{error}`; nothing is a 5xx or shows a stack trace. */
function checkCommon(res: RawResponse, what: string, problems: string[]): void {
  if (res.status >= 500) problems.push(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
  if (/\bat .*\.js:\d+/.test(res.text)) problems.push(`${what}: the response shows a stack trace`);
  if (res.status >= 400) {
    const error = (res.json as Json | undefined)?.error;
    if (typeof error !== "string" || error.length === 0) {
      problems.push(`${what}: ${res.status} without a JSON error: ${res.text.slice(0, 200)}`);
    }
  }
}

/** A method the path does not have gets 405 with the Allow header the router computes. */
async function wrongMethods(
  platform: TestPlatform,
  path: string,
  auth: Record<string, string>,
): Promise<string[]> {
  const problems: string[] = [];
  const relative = path.slice("/api/v1".length);
  for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
    const expected = routes.api.match(method, relative);
    if (expected.kind !== "method_not_allowed") continue;
    const res = await rawRequest(platform.url, method, path, method === "GET" ? undefined : "{}", auth);
    const what = `${method} ${path} (wrong method)`;
    checkCommon(res, what, problems);
    if (res.status !== 405) problems.push(`${what}: ${res.status}, not 405`);
    if (res.headers.allow !== expected.allow.join(", ")) {
      problems.push(`${what}: Allow "${res.headers.allow}", expected "${expected.allow.join(", ")}"`);
    }
  }
  return problems;
}

/** Everything stored in the default workspace, as one comparable string. */
async function snapshot(store: Store, secrets: [string, string][]): Promise<string> {
  const out: Json = {};
  for (const kind of KINDS) {
    out[kind] = (await store.listResources("default", kind)).map((r) => [r.name, r.version, r.doc]);
  }
  const runs = await store.listRuns("default");
  out.runs = await Promise.all(runs.map(async (r) => [r, await store.listEvents("default", r.id)]));
  out.apiKeys = (await store.listApiKeys()).map(({ lastUsedAt: _, ...key }) => key);
  out.secrets = await Promise.all(secrets.map(([ws, name]) => store.getSecret(ws, name)));
  return JSON.stringify(out);
}

/** One of most things, through the API, so that "unchanged" means something. */
async function seed(platform: TestPlatform, secrets: [string, string][]): Promise<void> {
  const steps: [string, string, unknown][] = [
    ["POST", "/starter-kit", undefined],
    [
      "POST",
      "/tools",
      {
        name: "seed-tool",
        base_url: "https://seed-tool.example",
        auth_type: "APIKey",
        credentials: { api_key: "sk-seed-tool" },
      },
    ],
    [
      "POST",
      "/model-providers",
      {
        name: "seed-llm",
        spec: { provider: "openai", endpoint: "https://llm.example/v1", models: ["gpt-4o-mini"] },
        api_key: "sk-seed-llm",
      },
    ],
    [
      "POST",
      "/policies",
      {
        name: "seed-policy",
        spec: {
          policies: [{ permission: "allow", operations: ["GET"], resource: "https://seed-tool.example/*" }],
        },
      },
    ],
    [
      "POST",
      "/identity-providers",
      {
        name: "seed-idp",
        spec: {
          host: "seed.example",
          identityProvider: { issuer: "https://issuer.example", jwksUri: "https://issuer.example/jwks" },
          userIDClaim: "sub",
        },
      },
    ],
    [
      "POST",
      "/approval-connectors",
      { name: "seed-hook", type: "webhook", endpoint: "https://hooks.example/x" },
    ],
    ["POST", "/deploy-drafts", {}],
    ["PUT", "/settings/auth", { sessionIdleTimeoutMinutes: 30 }],
  ];
  for (const [method, path, body] of steps) {
    const res = await platform.call(method, path, body);
    assert.ok(res.status < 300, `seeding ${method} ${path}: ${res.status} ${res.text}`);
  }
  // The provider's health probe runs in the background: let it settle before snapshots are taken.
  await providerProbeSettled(platform.store, "default", "seed-llm");
  const run = await platform.call("POST", "/runs", { agent_id: "seed-agent", user_id: "seed-user" });
  assert.equal(run.status, 201, run.text);
  const runId = (run.json as Json).id as string;
  const event = await platform.call("POST", `/runs/${runId}/events`, {
    type: "USER_MESSAGE",
    data: { message: "hi" },
  });
  assert.equal(event.status, 201, event.text);
  secrets.push(["default", "seed-tool-credentials"], ["default", "seed-llm-provider-key"]);
  for (const [ws, name] of secrets) assert.ok(await platform.store.getSecret(ws, name), name);
}
