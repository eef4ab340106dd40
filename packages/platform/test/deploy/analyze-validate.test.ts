import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateSourceFiles } from "../../src/deploy/analyze.js";

describe("validateSourceFiles", () => {
  it("accepts relative paths mapping to strings", () => {
    assert.equal(validateSourceFiles({ "agent.ts": "x", "src/tools/a.ts": "", ".env": "A=1" }), null);
  });

  it("rejects anything but a plain object, and an empty one", () => {
    const message = "files must be an object mapping relative file paths to file contents";
    assert.equal(validateSourceFiles(null), message);
    assert.equal(validateSourceFiles([]), message);
    assert.equal(validateSourceFiles("agent.ts"), message);
    assert.equal(validateSourceFiles({}), "files must contain at least one file");
  });

  it("names the bad key and the rule it breaks", () => {
    const cases: [string, string][] = [
      ["", "file path must not be empty"],
      ["/etc/passwd", 'file path "/etc/passwd" must be relative (no leading "/")'],
      ["src\\agent.ts", 'file path "src\\\\agent.ts" must use "/" as the separator, not "\\"'],
      ["../secrets.ts", 'file path "../secrets.ts" must not contain ".." segments'],
      ["src/../../x.ts", 'file path "src/../../x.ts" must not contain ".." segments'],
      ["a\u0000b", 'file path "a\\u0000b" must not contain NUL characters'],
      ["C:/agent.ts", 'file path "C:/agent.ts" must not start with a drive letter'],
      ["src/", 'file path "src/" must name a file (no trailing "/")'],
      ["./a.ts", 'file path "./a.ts" must not contain "." segments'],
      ["a//b.ts", 'file path "a//b.ts" must not contain empty segments ("//")'],
      ["a\nb", 'file path "a\\nb" must not contain control characters'],
      [`${"d/".repeat(128)}x`, `file path "${"d/".repeat(38)}d..." is longer than 255 characters`],
    ];
    for (const [path, message] of cases)
      assert.equal(validateSourceFiles({ "ok.ts": "", [path]: "" }), message);
  });

  it("rejects non-string contents with the value's type", () => {
    assert.equal(validateSourceFiles({ "a.ts": 5 }), 'file "a.ts" content must be a string, got number');
    assert.equal(validateSourceFiles({ "a.ts": null }), 'file "a.ts" content must be a string, got null');
  });

  it("allows at most 200 files", () => {
    const files = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}.ts`, ""]));
    assert.equal(validateSourceFiles(files), "files has 201 entries; at most 200 are allowed");
    delete files["f0.ts"];
    assert.equal(validateSourceFiles(files), null);
  });

  it("allows at most 5 MiB of content in total, counted in UTF-8 bytes", () => {
    const mib = "x".repeat(1024 * 1024);
    assert.equal(validateSourceFiles({ a: mib, b: mib, c: mib, d: mib, e: mib }), null);
    assert.equal(
      validateSourceFiles({ a: mib, b: mib, c: mib, d: mib, e: mib, f: "é" }),
      'files exceed 5 MiB in total (limit reached at "f")',
    );
  });
});
