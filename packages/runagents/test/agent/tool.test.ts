import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ApprovalRequired, executeToolCall, toOpenAITools, tool } from "../../src/agent/index.js";

describe("tool()", () => {
  test("names a tool after its function in kebab-case and keeps it callable", () => {
    function myCalculator({ a, b }: { a: number; b: number }): number {
      return a + b;
    }
    const wrapped = tool(myCalculator);
    assert.equal(wrapped.toolName, "my-calculator");
    assert.equal(wrapped.toolDescription, "");
    assert.deepEqual(wrapped.parameters, { type: "object", properties: {} });
    assert.equal(wrapped({ a: 2, b: 3 }), 5);
    assert.equal(wrapped.name, "myCalculator");
    assert.equal(wrapped.length, 1);
  });

  test("snake_case names become kebab-case too", () => {
    const my_calculator = (): number => 1;
    assert.equal(tool(my_calculator).toolName, "my-calculator");
  });

  test("explicit name, description and JSON Schema parameters are kept", () => {
    const parameters = { type: "object", properties: { city: { type: "string" } }, required: ["city"] };
    const weather = tool(
      { name: "weather-api", description: "Get weather data", parameters },
      async ({ city }: { city: string }) => city,
    );
    assert.equal(weather.toolName, "weather-api");
    assert.equal(weather.toolDescription, "Get weather data");
    assert.deepEqual(weather.parameters, parameters);
  });

  test("a schema object with toJSONSchema() is converted, without $schema", () => {
    const zodLike = {
      toJSONSchema: () => ({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        properties: { q: { type: "string" } },
      }),
    };
    const search = tool({ parameters: zodLike }, function search() {});
    assert.deepEqual(search.parameters, { type: "object", properties: { q: { type: "string" } } });
  });

  test("an anonymous function needs an explicit name", () => {
    assert.throws(() => tool(() => 1), {
      name: "TypeError",
      message: "tool() needs a name for an anonymous function",
    });
  });
});

describe("toOpenAITools and executeToolCall", () => {
  const add = tool(
    { name: "add", description: "Add", parameters: { type: "object" } },
    ({ a, b }: { a: number; b: number }) => ({
      sum: a + b,
    }),
  );
  const echo = tool({ name: "echo" }, async ({ text }: { text: string }) => text);
  const guarded = tool({ name: "guarded" }, () => {
    throw new ApprovalRequired("guarded", { action_id: "act-1" });
  });

  test("toOpenAITools lists the function definitions", () => {
    assert.deepEqual(toOpenAITools([add]), [
      { type: "function", function: { name: "add", description: "Add", parameters: { type: "object" } } },
    ]);
  });

  test("executeToolCall runs the named tool and returns the tool message", async () => {
    const call = { id: "c1", function: { name: "add", arguments: '{"a":2,"b":3}' } };
    assert.deepEqual(await executeToolCall([echo, add], call), {
      role: "tool",
      tool_call_id: "c1",
      content: '{"sum":5}',
    });
    assert.deepEqual(
      await executeToolCall([echo], { id: "c2", function: { name: "echo", arguments: { text: "hi" } } }),
      {
        role: "tool",
        tool_call_id: "c2",
        content: "hi",
      },
    );
  });

  test("an unknown tool or bad arguments come back as error content for the model", async () => {
    assert.deepEqual(
      await executeToolCall([add], { id: "c3", function: { name: "nope", arguments: "{}" } }),
      {
        role: "tool",
        tool_call_id: "c3",
        content: '{"error":"unknown tool \'nope\'"}',
      },
    );
    assert.equal(
      (await executeToolCall([add], { id: "c4", function: { name: "add", arguments: "{oops" } })).content,
      '{"error":"arguments for \'add\' are not valid JSON"}',
    );
  });

  test("errors thrown by the tool propagate, so interrupts reach the runtime", async () => {
    await assert.rejects(
      executeToolCall([guarded], { id: "c5", function: { name: "guarded", arguments: "{}" } }),
      ApprovalRequired,
    );
  });
});
