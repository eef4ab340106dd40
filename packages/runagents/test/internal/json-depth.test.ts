import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonTooDeep } from "../../src/internal/json-depth.js";

describe("jsonTooDeep", () => {
  it("counts nested objects and arrays up to the limit", () => {
    assert.equal(jsonTooDeep(`${"[".repeat(64)}${"]".repeat(64)}`), false);
    assert.equal(jsonTooDeep(`${"[".repeat(65)}${"]".repeat(65)}`), true);
    assert.equal(jsonTooDeep(`{"a":${'{"b":'.repeat(64)}1${"}".repeat(65)}`), true);
    assert.equal(jsonTooDeep(`[${"[],".repeat(1000)}[]]`), false, "siblings are not depth");
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    assert.equal(jsonTooDeep(JSON.stringify({ s: "[".repeat(1000) })), false);
    assert.equal(jsonTooDeep(JSON.stringify({ s: `\\"${"{".repeat(1000)}` })), false);
    assert.equal(
      jsonTooDeep(`["\\\\", ${"[".repeat(70)}`),
      true,
      "an escaped backslash ends before the quote",
    );
  });
});
