import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const DEEP = `{"name":"x","message":"hi","spec":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
const TOO_DEEP = { error: "JSON nesting deeper than 64 levels" };

describe("security: deeply nested JSON is a 400, never a 500", () => {
  let platform: TestPlatform;

  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("10,000 levels of nesting are refused on the API, invoke, MCP and the echo tool", async () => {
    for (const url of [
      `${platform.api}/tools`,
      `${platform.api}/agents/nobody/invoke`,
      `${platform.api}/mcp`,
      `${platform.url}/echo`,
    ]) {
      const res = await platform.call("POST", url, DEEP, { Accept: "application/json, text/event-stream" });
      assert.equal(res.status, 400, `${url}: ${res.text.slice(0, 200)}`);
      assert.deepEqual(res.json, TOO_DEEP);
    }
  });

  it("brackets inside strings are not nesting", async () => {
    const message = `${"[{".repeat(5_000)}\\"`;
    const res = await platform.call("POST", `${platform.url}/echo`, { message });
    assert.equal(res.status, 200, res.text.slice(0, 200));
    assert.equal((res.json as { reply: string }).reply, message);
  });
});
