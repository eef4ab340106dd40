import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  array,
  boolean,
  checkBody,
  checkQuery,
  component,
  integer,
  nullable,
  number,
  object,
  oneOf,
  optional,
  record,
  schemaComponents,
  string,
  text,
} from "../../src/api/schema.js";
import { HttpError } from "../../src/errors.js";

const problem = (run: () => void): string => {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 400);
    return err.message;
  }
  return "";
};

describe("api/schema: request checks with the API's messages", () => {
  const body = object({
    name: text(),
    note: optional(string()),
    count: optional(number({ minimum: 0 })),
    size: optional(integer({ minimum: 1, maximum: 10 })),
    enabled: optional(boolean()),
    mode: optional(oneOf(["fast", "slow"])),
    tags: optional(array(string())),
    spec: optional(object({ endpoint: text(), retries: optional(integer()) })),
    labels: optional(record(string())),
    parent: optional(nullable(string())),
  });

  it("accepts a body that fits, ignoring keys it does not describe and nulls for optional ones", () => {
    assert.equal(
      problem(() => checkBody(body, { name: "x", extra: 1, note: null, tags: ["a"] })),
      "",
    );
  });

  it("names the first field that does not fit, as validate.ts does", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "name is required"],
      [{ name: "  " }, "name is required"],
      [{ name: 5 }, "name is required"],
      [{ name: "x", note: 5 }, "note must be a string"],
      [{ name: "x", count: "1" }, "count must be a number >= 0"],
      [{ name: "x", count: -1 }, "count must be a number >= 0"],
      [{ name: "x", size: 1.5 }, "size must be an integer from 1 to 10"],
      [{ name: "x", size: 11 }, "size must be an integer from 1 to 10"],
      [{ name: "x", spec: { endpoint: "e", retries: "2" } }, "spec.retries must be an integer"],
      [{ name: "x", enabled: "yes" }, "enabled must be true or false"],
      [{ name: "x", mode: "medium" }, "mode must be one of fast, slow"],
      [{ name: "x", tags: "a" }, "tags must be a list"],
      [{ name: "x", tags: ["a", 1] }, "tags must be a list of strings"],
      [{ name: "x", spec: [] }, "spec must be an object"],
      [{ name: "x", spec: {} }, "spec.endpoint is required"],
      [{ name: "x", labels: { a: 1 } }, "labels.a must be a string"],
      [{ name: "x", parent: 3 }, "parent must be a string"],
    ];
    for (const [input, message] of cases)
      assert.equal(
        problem(() => checkBody(body, input)),
        message,
        JSON.stringify(input),
      );
  });

  it("checks query parameters written as text", () => {
    const query = object({
      limit: optional(integer({ minimum: 1 })),
      page_size: optional(integer({ minimum: 1, maximum: 100 })),
      mine: optional(boolean()),
      status: optional(oneOf(["a", "b"])),
      q: optional(string()),
    });
    const check = (qs: string) => problem(() => checkQuery(query, new URLSearchParams(qs)));
    assert.equal(check("limit=3&page_size=100&mine=true&status=a&q=anything&other=x"), "");
    assert.equal(check("limit="), "", "an empty value is absent");
    assert.equal(check("limit=0"), "query parameter limit must be an integer >= 1");
    assert.equal(check("limit=1.5"), "query parameter limit must be an integer >= 1");
    assert.equal(check("page_size=101"), "query parameter page_size must be an integer from 1 to 100");
    assert.equal(check("mine=yes"), "query parameter mine must be true or false");
    assert.equal(check("status=c"), "query parameter status must be one of a, b");
  });

  it("publishes named schemas once, and refuses one name for two different schemas", () => {
    const ref = component("SchemaTestThing", object({ id: string() }));
    assert.deepEqual(ref, { $ref: "#/components/schemas/SchemaTestThing" });
    assert.deepEqual(component("SchemaTestThing", object({ id: string() })), ref);
    assert.deepEqual(schemaComponents().SchemaTestThing, object({ id: string() }));
    assert.throws(() => component("SchemaTestThing", object({ id: integer() })), /defined twice/);
    assert.equal(
      problem(() => checkBody(object({ thing: ref }), { thing: { id: 1 } })),
      "thing.id is required",
    );
  });
});
