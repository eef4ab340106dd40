import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeSources } from "../../src/deploy/analyze.js";
import { toolNameFromHost } from "../../src/deploy/analyze-tools.js";

describe("toolNameFromHost", () => {
  it("puts the registrable label first, then subdomains nearest first, dropping www and the suffix", () => {
    assert.equal(toolNameFromHost("api.stripe.com"), "stripe-api");
    assert.equal(toolNameFromHost("hooks.slack.com"), "slack-hooks");
    assert.equal(toolNameFromHost("www.example.co.uk"), "example");
    assert.equal(toolNameFromHost("eu.api.acme.io"), "acme-api-eu");
    assert.equal(toolNameFromHost("example.com"), "example");
    assert.equal(toolNameFromHost("10.0.0.5"), "host-10-0-0-5");
    assert.equal(toolNameFromHost("crm"), "crm");
  });

  it("keeps model-provider hosts out of tools but in outbound destinations", () => {
    const result = analyzeSources({ "a.ts": 'const u = "https://api.openai.com/v1/chat/completions";' });
    assert.deepEqual(result.tools, []);
    assert.deepEqual(result.outbound_destinations, ["api.openai.com"]);
  });
});
