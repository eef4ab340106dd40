import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "../../src/log.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { rawRequest } from "../helpers/raw-request.js";

const SECRETS = ["SECRETpathkey1", "SECRETquerykey2", "SECRETtoken3", "SECRETbearer4", "SECRETegress5"];

describe("security: credentials never reach a log line", () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("API keys and bearer values in a request's URL or headers are not logged", async () => {
    const before = platform.logs.length;
    await rawRequest(
      platform.url,
      "GET",
      `/api/v1/agents/ra_ws_${SECRETS[0]}?api_key=ra_ws_${SECRETS[1]}&access_token=${SECRETS[2]}`,
      undefined,
      { Authorization: `Bearer ${SECRETS[3]}` },
    );
    await rawRequest(platform.url, "GET", `/egress/ra_ws_${SECRETS[4]}/tool/x?token=${SECRETS[2]}`);
    const lines = platform.logs.slice(before);
    assert.ok(
      lines.some((l) => l.includes('"msg":"request"')),
      "the requests were logged",
    );
    assert.deepEqual(
      lines.filter((l) => SECRETS.some((s) => l.includes(s))),
      [],
    );
  });

  it("every line the logger writes is redacted, whatever a caller put in it", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", sink: (l) => lines.push(l) });
    log.error("upstream failed for https://h.example/v1?api_key=ra_ws_abc123&x=1", {
      url: "https://h.example/cb?access_token=tok-456&state=s",
      header: "Authorization: Bearer sk-live-789",
      agent: "/gateway/ra_agt_Zz9/v1",
      form: "grant_type=refresh_token&refresh_token=rt-000",
    });
    const line = lines[0] as string;
    for (const secret of ["ra_ws_abc123", "tok-456", "sk-live-789", "ra_agt_Zz9", "rt-000"])
      assert.ok(!line.includes(secret), `${secret} in ${line}`);
    assert.match(line, /api_key=\[REDACTED\]&x=1/);
    assert.match(line, /Bearer \[REDACTED\]/);
    assert.match(line, /\/gateway\/\[token\]\/v1/);
    assert.match(line, /grant_type=refresh_token&refresh_token=\[REDACTED\]/);
  });
});
