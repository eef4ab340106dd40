/**
 * The console address printed at start signs in by itself only with a key already in the open on
 * this machine: the one this start created, or the one the local configuration keeps for this
 * platform — never another platform's.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { consoleLink } from "../../src/console-link.js";

describe("consoleLink", () => {
  let dir = "";
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "runagents-console-link-"));
    saved = process.env.RUNAGENTS_CONFIG_DIR;
    process.env.RUNAGENTS_CONFIG_DIR = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RUNAGENTS_CONFIG_DIR;
    else process.env.RUNAGENTS_CONFIG_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  const configure = (endpoint: string, apiKey: string) =>
    writeFileSync(join(dir, "config.json"), JSON.stringify({ endpoint, api_key: apiKey }));

  it("carries the key this start created in the fragment", () => {
    assert.equal(
      consoleLink("http://127.0.0.1:8092", "ra_ws_new+key"),
      "http://127.0.0.1:8092/#key=ra_ws_new%2Bkey",
    );
  });

  it("carries the saved key when the local configuration points at this platform", () => {
    configure("http://localhost:8092", "ra_ws_saved");
    assert.equal(consoleLink("http://127.0.0.1:8092"), "http://127.0.0.1:8092/#key=ra_ws_saved");
  });

  it("is the bare address when the saved key is another platform's, or there is none", () => {
    configure("https://platform.example.com", "ra_ws_elsewhere");
    assert.equal(consoleLink("http://127.0.0.1:8092"), "http://127.0.0.1:8092/");
    rmSync(join(dir, "config.json"));
    assert.equal(consoleLink("http://127.0.0.1:8092"), "http://127.0.0.1:8092/");
  });
});
