/**
 * The offline playground model through a real agent: it is free (the starter kit's
 * `playground-llm` serves `gpt-4o-mini`, a name the price table knows), and the invoke answer of
 * a handler that reports no usage carries the run's token counts from its `LLM_CALL` events.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "runagents";
import { priceFor } from "../../src/gateway/pricing.js";
import { phaseIs, startAgentPlatform, waitForAgent } from "../deploy/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

const CHAT_AGENT = `import { Agent, type HandlerRequest } from "runagents";

const agent = new Agent();

export async function handler(request: HandlerRequest) {
  const first = await agent.chat(request.message);
  const second = await agent.chat(\`again: \${request.message}\`);
  return { response: \`\${first.choices[0]?.message.content} / \${second.choices[0]?.message.content}\` };
}
`;

describe("the playground model's usage and price", () => {
  let platform: TestPlatform;
  let client: Client;

  before(async () => {
    platform = await startAgentPlatform();
    client = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "default" });
    assert.equal((await platform.call("POST", "/starter-kit")).status, 201);
    await client.agents.deploy({
      name: "chatty",
      sourceFiles: { "agent.ts": CHAT_AGENT, "runagents.yaml": "name: chatty\nentry_point: agent.ts\n" },
      llmConfigs: [{ provider: "openai", model: "gpt-4o-mini" }],
    });
    await waitForAgent(platform, "chatty", phaseIs("Running"));
  });
  after(() => platform.destroy());

  it("prices a local provider's models at zero, whatever they are called", () => {
    for (const providerType of ["playground", "ollama"]) {
      assert.deepEqual(priceFor("gpt-4o-mini", { providerType }), {
        input_per_1k: 0,
        output_per_1k: 0,
        source: "free",
      });
    }
    assert.equal(priceFor("gpt-4o-mini", { providerType: "openai" }).input_per_1k, 0.00015);
  });

  it("reports the run's token counts in the invoke answer and records free LLM_CALL events", async () => {
    const reply = await client.agents.invoke("chatty", { message: "hello there", userId: "alice" });
    assert.equal(
      reply.response,
      "[playground] You said: hello there / [playground] You said: again: hello there",
    );
    const runId = reply.runId as string;
    const events = (await platform.call("GET", `/runs/${runId}/events?type=LLM_CALL`)).json as Json[];
    assert.equal(events.length, 2);
    for (const { data } of events) {
      assert.equal(data.cost_usd, 0);
      assert.equal(data.model_provider, "playground-llm");
      assert.equal(data.total_tokens, data.prompt_tokens + data.completion_tokens);
      assert.ok(data.prompt_tokens > 0 && data.completion_tokens > 0);
      assert.match(data.message, /completion tokens, \$0$/);
    }
    const sum = (key: string) => events.reduce((n, e) => n + (e.data[key] as number), 0);
    assert.deepEqual(reply.raw.usage, {
      prompt_tokens: sum("prompt_tokens"),
      completion_tokens: sum("completion_tokens"),
      total_tokens: sum("total_tokens"),
    });

    const spend = (await platform.call("GET", "/model-spend")).json as Json;
    assert.equal(spend.summary.total_estimated_spend_usd, 0);
  });
});
