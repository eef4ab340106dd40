/**
 * Signing in to the console with an identity provider, in a real headless Chromium against a
 * local fake OpenID Connect provider: "Sign in with corp" → the provider → back to the console
 * (authorization code + PKCE, the code exchanged from the browser under the page's CSP) → the
 * inbox lists the request the user's group decides → approve → the platform records the user's
 * subject as approver. The signed-in inbox is live: a new request for the user's group raises the
 * badge and joins the list without a reload, one approved elsewhere (an API key) lowers it; their
 * playground run of hello-world that paused for approval answers by itself once approved. Screens
 * that need a key say so; sign-out. A user outside the approver group sees nothing to decide and
 * is refused in words; an ID token from another issuer or for another audience is refused by the
 * console, a tampered one by the platform, and an answer that belongs to no sign-in of this tab
 * (state) is refused — each back at the sign-in with the reason.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { runtimeConfig, waitForAgent } from "../deploy/helpers.js";
import {
  browserMissing,
  launchBrowser,
  screenshot,
  seriousViolations,
  shown,
  type TestBrowser,
} from "../helpers/browser.js";
import {
  type FakeOidc,
  financePolicy,
  pendingRequest,
  signInProvider,
  startFakeOidc,
} from "../helpers/fake-oidc.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;
const missing = browserMissing();
const TIMEOUT = 30_000;

interface Storage {
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  fetch(url: string, init: Json): Promise<{ status: number; json(): Promise<Json> }>;
}
/** In the page: the stored ID token (functions, not strings: the console's CSP refuses eval). */
const storedToken = (): string | null =>
  (globalThis as unknown as Storage).sessionStorage.getItem("runagents.idToken");
/** In the page: POST with the signed-in user's token, as a script in the page could. */
async function postAsUser([path, token]: (string | null)[]): Promise<{ status: number; body: Json }> {
  const res = await (globalThis as unknown as Storage).fetch(path as string, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: "{}",
  });
  return { status: res.status, body: await res.json() };
}
/** In the page: the stored token with its groups claim changed (its signature now fails). */
function tamperStoredToken(): void {
  const storage = (globalThis as unknown as Storage).sessionStorage;
  const [h, p, s] = (storage.getItem("runagents.idToken") ?? "").split(".");
  const claims = JSON.parse(atob((p ?? "").replace(/-/g, "+").replace(/_/g, "/")));
  claims.groups = ["finance-approvers", "admins"];
  const forged = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  storage.setItem("runagents.idToken", `${h}.${forged}.${s}`);
}

describe("signing in to the console with an identity provider in Chromium", () => {
  if (missing) {
    it("signs in with a provider and decides approvals", { skip: missing }, () => {});
    return;
  }
  let platform: TestPlatform;
  let oidc: FakeOidc;
  let chrome: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let financeKey: Record<string, string>;
  const a11y: string[] = [];

  const signIn = async () => {
    await page.goto(`${platform.url}/`);
    await page.getByRole("button", { name: "Sign in with corp" }).click();
  };

  before(async () => {
    platform = await startTestPlatform({ config: runtimeConfig() });
    oidc = await startFakeOidc();
    await financePolicy(platform);
    const saved = await platform.call("POST", "/identity-providers", signInProvider(oidc));
    assert.equal(saved.status, 201, saved.text);
    // An operator whose key is in the finance group: decides "elsewhere" while the user watches.
    const key = await platform.call("POST", "/auth/api-keys", {
      name: "finance-desk",
      role: "operator",
      groups: ["finance-approvers"],
    });
    assert.equal(key.status, 201, key.text);
    financeKey = { "X-RunAgents-API-Key": (key.json as Json).token };
    chrome = await launchBrowser();
    context = await chrome.context();
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
  });
  after(async () => {
    await chrome?.close();
    await platform?.destroy();
    await oidc?.close();
  });

  it("signs in with the provider, approves from the inbox as the user, and signs out", async () => {
    const id = await pendingRequest(platform, "payments");
    await page.goto(`${platform.url}/`);
    await page.getByRole("button", { name: "Sign in with corp" }).waitFor();
    await screenshot(page, "console-sign-in");
    a11y.push(...(await seriousViolations(page)).map((l) => `sign-in: ${l}`));
    await page.getByRole("button", { name: "Sign in with corp" }).click();
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
    assert.equal(new URL(page.url()).search, "", "the code and state are gone from the address");
    assert.deepEqual(oidc.exchanges, ["ok"], "the code was exchanged once, with the PKCE verifier");
    assert.match(await shown(page.getByTestId("signed-in-as")), /Signed in as ada@example\.com/);
    const card = page.getByRole("listitem").filter({ hasText: "fin-agent wants POST payments" });
    await card.waitFor();
    await screenshot(page, "console-signed-in-inbox");
    a11y.push(...(await seriousViolations(page)).map((l) => `signed-in inbox: ${l}`));
    await card.getByRole("button", { name: "Approve" }).click();
    await card.waitFor({ state: "detached" });
    const decided = await platform.call("GET", `/approvals/requests/${id}`);
    assert.equal((decided.json as Json).status, "APPROVED");
    assert.equal((decided.json as Json).approver_id, "ada", "recorded with the user's verified subject");

    await page.goto(`${platform.url}/#/agents`);
    await page.getByText("Agents needs a workspace API key").waitFor();
    await page.getByRole("button", { name: "Sign out and sign in with an API key" }).waitFor();
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "RunAgents console" }).waitFor();
    assert.equal(await page.evaluate(storedToken), null);
  });

  it("updates the signed-in user's inbox badge and list live: a new request for their group, a decision elsewhere", async () => {
    await signIn();
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
    await page.getByText("Nothing waits for a decision.").waitFor();
    await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await page.getByRole("button", { name: "Refresh" }).waitFor();
    const badge = page.getByTestId("inbox-badge");
    assert.equal(await badge.count(), 0, "nothing pending for ada yet");

    // A request ada's group decides: the badge and the list follow without a reload.
    const first = await pendingRequest(platform, "payments");
    await page
      .getByTestId("inbox-badge")
      .filter({ hasText: /^1 pending$/ })
      .waitFor();
    const cards = page.getByRole("listitem").filter({ hasText: "fin-agent wants POST payments" });
    await cards.first().waitFor();
    // One no rule names her group for moves nothing; a second of hers makes two.
    await pendingRequest(platform, "shipping");
    await pendingRequest(platform, "payments");
    await page
      .getByTestId("inbox-badge")
      .filter({ hasText: /^2 pending$/ })
      .waitFor();
    await page.getByRole("heading", { name: "Pending (2)" }).waitFor();
    assert.equal(await cards.count(), 2);
    await screenshot(page, "console-signed-in-live-inbox");
    a11y.push(...(await seriousViolations(page)).map((l) => `signed-in live inbox: ${l}`));

    // Approved elsewhere (an operator's API key): the badge goes down, the card leaves the list.
    const approved = await platform.call("POST", `/approvals/requests/${first}/approve`, {}, financeKey);
    assert.equal(approved.status, 200, approved.text);
    await page
      .getByTestId("inbox-badge")
      .filter({ hasText: /^1 pending$/ })
      .waitFor();
    await page.getByRole("heading", { name: "Pending (1)" }).waitFor();
    assert.equal(await cards.count(), 1);
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "RunAgents console" }).waitFor();
  });

  it("shows the signed-in user's paused playground run answering live once approved elsewhere", async () => {
    assert.equal((await platform.call("POST", "/starter-kit")).status < 300, true);
    const policy = await platform.call("POST", "/policies", {
      name: "echo-by-finance",
      spec: {
        policies: [{ permission: "approval_required", operations: ["POST"], resource: "echo-tool" }],
        approvals: [
          {
            name: "echo",
            toolIds: ["echo-tool"],
            approvers: { groups: ["finance-approvers"], match: "any" },
          },
        ],
      },
    });
    assert.equal(policy.status, 201, policy.text);
    const example = (file: string) =>
      readFileSync(new URL(`../../../../../examples/hello-world/${file}`, import.meta.url), "utf8");
    const deploy = await platform.call("POST", "/deploy", {
      agent_name: "hello-world",
      source_files: { "agent.ts": example("agent.ts"), "runagents.yaml": example("runagents.yaml") },
      required_tools: ["echo-tool"],
      policies: ["echo-by-finance"],
    });
    assert.ok(deploy.status === 200 || deploy.status === 201, deploy.text);
    await waitForAgent(platform, "hello-world", (a) => a.phase === "Running");

    await signIn();
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
    await page.goto(`${platform.url}/#/playground/hello-world`);
    await page.getByRole("heading", { level: 1, name: "Playground" }).waitFor();
    await page.getByLabel("Message").fill("Pay the invoice");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("waits for approval to call").waitFor();
    const [request] = (await platform.call("GET", "/approvals/requests?status=PENDING&agent_id=hello-world"))
      .json as Json[];
    assert.ok(request, "the run waits on a request");
    const run = await platform.call("GET", `/runs/${request.run_id}`);
    assert.equal((run.json as Json).user_id, "ada", "the run is the signed-in user's");

    // Approved by the finance desk's key (she may not approve her own run's request).
    const approved = await platform.call(
      "POST",
      `/approvals/requests/${request.id}/approve`,
      { scope: "once" },
      financeKey,
    );
    assert.equal(approved.status, 200, approved.text);
    await page.getByText("echo-tool replied: Pay the invoice").waitFor();
    await screenshot(page, "console-signed-in-playground");
    a11y.push(...(await seriousViolations(page)).map((l) => `signed-in playground: ${l}`));
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByRole("heading", { name: "RunAgents console" }).waitFor();
  });

  it("shows a user outside the approver group nothing to decide, and refuses their decision in words", async () => {
    const id = await pendingRequest(platform, "payments");
    oidc.user = { sub: "eve", email: "eve@example.com", groups: ["support"] };
    await signIn();
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
    await page.getByText("Nothing waits for a decision.").waitFor();
    const answer = await page.evaluate(postAsUser, [
      `/api/v1/approvals/requests/${id}/approve`,
      await page.evaluate(storedToken),
    ]);
    assert.equal(answer.status, 403);
    assert.match(
      answer.body.error,
      /eve is not an approver for request .*: approval rule finance of policy finance-policy needs a member of any of the groups finance-approvers/,
    );
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    oidc.user = { sub: "ada", email: "ada@example.com", groups: ["finance-approvers"] };
  });

  it("refuses a token of another issuer or audience, a tampered token, and a stray answer, with the reason", async () => {
    const refusedWith = async (pattern: RegExp) => {
      const note = page.getByTestId("signed-out-because");
      await note.waitFor();
      assert.match(await shown(note), pattern);
    };
    oidc.tokenClaims = { iss: "https://evil.example.com" };
    await signIn();
    await refusedWith(
      /The ID token comes from https:\/\/evil\.example\.com, not http:\/\/127\.0\.0\.1:\d+: it was refused/,
    );
    oidc.tokenClaims = { aud: "another-app" };
    await signIn();
    await refusedWith(/The ID token is not meant for this console \(audience is not runagents-console\)/);
    oidc.tokenClaims = {};

    await page.goto(`${platform.url}/?code=stolen&state=guessed`);
    await refusedWith(/does not belong to a sign-in started in this tab \(state mismatch\)/);

    // Signed in, then the stored token is altered (more groups): the platform refuses it.
    await signIn();
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
    await page.evaluate(tamperStoredToken);
    await page.reload();
    await refusedWith(/invalid end-user token: bad signature/);
    assert.deepEqual(a11y, [], a11y.join("\n"));
  });
});
