/** `--advertise-url` / RUNAGENTS_ADVERTISE_URL: where the other replicas reach this one. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadPlatformConfig } from "../../src/config.js";

describe("the advertise URL", () => {
  it("is unset by default (the replica then advertises http://127.0.0.1:<port>)", () => {
    assert.equal(loadPlatformConfig([], {}).advertiseUrl, undefined);
  });

  it("takes an http(s) origin from the flag or the environment, the flag first, without a trailing slash", () => {
    assert.equal(
      loadPlatformConfig(["--advertise-url", "http://10.0.0.11:8092/"], {}).advertiseUrl,
      "http://10.0.0.11:8092",
    );
    assert.equal(
      loadPlatformConfig([], { RUNAGENTS_ADVERTISE_URL: "https://replica-1.internal" }).advertiseUrl,
      "https://replica-1.internal",
    );
    assert.equal(
      loadPlatformConfig(["--advertise-url", "http://a:1"], { RUNAGENTS_ADVERTISE_URL: "http://b:2" })
        .advertiseUrl,
      "http://a:1",
    );
  });

  for (const bad of [
    "10.0.0.11:8092",
    "ftp://host",
    "http://user:pw@host",
    "http://host/path",
    "http://host?x=1",
    "not a url",
  ]) {
    it(`refuses ${JSON.stringify(bad)} with a message that says what is expected`, () => {
      assert.throws(() => loadPlatformConfig(["--advertise-url", bad], {}), {
        name: "ConfigError",
        message: /invalid advertise URL .*expected http\(s\):\/\/host\[:port\]/,
      });
    });
  }
});
