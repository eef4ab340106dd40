import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { recordLocalPlatform } from "../src/local-config.js";

describe("recordLocalPlatform: the endpoint follows the local platform the configured key belongs to", () => {
  let dir = "";
  let saved: string | undefined;
  const file = () => join(dir, "config.json");
  const write = (doc: Record<string, string>) => writeFileSync(file(), `${JSON.stringify(doc)}\n`);
  const read = () => JSON.parse(readFileSync(file(), "utf8")) as Record<string, string>;
  const ours = { keyBelongsHere: async (token: string) => token === "ra_ws_ours" };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "runagents-local-config-test-"));
    saved = process.env.RUNAGENTS_CONFIG_DIR;
    process.env.RUNAGENTS_CONFIG_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RUNAGENTS_CONFIG_DIR;
    else process.env.RUNAGENTS_CONFIG_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("moves the endpoint when the configured key is one of this platform's", async () => {
    write({ endpoint: "http://localhost:8092", api_key: "ra_ws_ours", namespace: "team" });
    assert.deepEqual(await recordLocalPlatform("http://127.0.0.1:18300", ours), {
      written: file(),
      keySaved: false,
    });
    assert.deepEqual(read(), {
      endpoint: "http://127.0.0.1:18300",
      api_key: "ra_ws_ours",
      namespace: "team",
      assistant_mode: "external",
    });
    assert.deepEqual(await recordLocalPlatform("http://127.0.0.1:18300", ours), { unchanged: file() });
  });

  it("records the endpoint in a configuration that has none", async () => {
    assert.deepEqual(await recordLocalPlatform("http://127.0.0.1:18300", ours), {
      written: file(),
      keySaved: false,
    });
    assert.equal(read().endpoint, "http://127.0.0.1:18300");
  });

  it("leaves a configuration alone that holds another local platform's key", async () => {
    write({ endpoint: "http://127.0.0.1:8092", api_key: "ra_ws_theirs" });
    const before = readFileSync(file(), "utf8");
    assert.deepEqual(await recordLocalPlatform("http://127.0.0.1:18300", ours), {
      notWritten: "the configuration's API key is another platform's (http://127.0.0.1:8092)",
    });
    assert.equal(readFileSync(file(), "utf8"), before);
  });

  it("leaves a configuration alone that points at a remote platform, even with one of this platform's keys", async () => {
    write({ endpoint: "https://runagents.example.com", api_key: "ra_ws_ours" });
    const before = readFileSync(file(), "utf8");
    assert.deepEqual(await recordLocalPlatform("http://127.0.0.1:18300", ours), {
      notWritten: "the configuration points at another platform (https://runagents.example.com)",
    });
    assert.equal(readFileSync(file(), "utf8"), before);
  });

  it("does not replace the default platform's key with a new platform's first key", async () => {
    write({ api_key: "ra_ws_default_platform" });
    const result = await recordLocalPlatform("http://127.0.0.1:18300", {
      ...ours,
      bootstrapKey: "ra_ws_new",
    });
    assert.deepEqual(result, {
      notWritten: "the configuration points at another platform (http://localhost:8092)",
    });
    assert.equal(read().api_key, "ra_ws_default_platform");
  });
});
