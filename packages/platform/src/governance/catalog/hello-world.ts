/**
 * @module governance/catalog/hello-world
 * The starter catalog entry: echoes the user's message through the starter kit's echo-tool.
 */
import type { CatalogEntry } from "./types.js";

const V1_0_SOURCE = `/**
 * Hello World: the smallest governed agent. It sends the user's message through the starter
 * kit's echo-tool; the call goes through the platform egress, so the agent's policies apply.
 */
import { Agent, type RunContext } from "runagents";

const agent = new Agent();

interface HelloRequest {
  message?: string;
}

interface EchoReply {
  reply?: string;
  message?: string;
}

export async function handler(request: HelloRequest, ctx: RunContext) {
  const message = (request.message ?? "").trim() || "Hello, RunAgents!";
  const echo = (await agent.callTool({ name: "echo-tool", path: "/echo", payload: { message } })) as EchoReply;
  const echoed = echo.reply ?? echo.message ?? "";
  return { response: \`echo-tool replied: \${echoed}\`, model: ctx.model };
}
`;

const V1_1_SOURCE = `/**
 * Hello World: the smallest governed agent. It sends the user's message through the starter
 * kit's echo-tool (the call goes through the platform egress, so the agent's policies apply),
 * then asks the model for a one-line greeting about what came back.
 */
import { Agent, PolicyDeniedError, type RunContext } from "runagents";

const agent = new Agent();

interface HelloRequest {
  message?: string;
  history?: { role: string; content: string }[];
}

interface EchoReply {
  reply?: string;
  message?: string;
}

export async function handler(request: HelloRequest, ctx: RunContext) {
  const message = (request.message ?? "").trim() || "Hello, RunAgents!";
  let echo: EchoReply;
  try {
    echo = (await agent.callTool({ name: "echo-tool", path: "/echo", payload: { message } })) as EchoReply;
  } catch (error) {
    // Denied by policy: say so (the run completes). Anything else, approvals included, propagates.
    if (error instanceof PolicyDeniedError) {
      return { response: \`I am not allowed to call \${error.tool}: \${error.reason}\`, model: ctx.model };
    }
    throw error;
  }
  const echoed = echo.reply ?? echo.message ?? "";

  const completion = await agent.chat(
    \`The echo tool answered "\${echoed}". Greet the user in one short, friendly sentence.\`,
    { history: request.history ?? [] },
  );
  const greeting: string = completion.choices?.[0]?.message?.content ?? "";

  return {
    response: greeting.trim() || \`echo-tool replied: \${echoed}\`,
    echo: echoed,
    model: ctx.model,
  };
}
`;

const SYSTEM_PROMPT =
  "You are a friendly assistant that demonstrates governed tool calls. Keep answers to one sentence.";

export const helloWorld: CatalogEntry = {
  base: {
    id: "hello-world",
    name: "Hello World",
    summary: "The smallest governed agent: echoes your message through the starter kit's echo-tool.",
    description:
      "A first agent to deploy on a fresh platform. It calls the starter kit's echo-tool through the " +
      "platform egress, so you can watch a policy decision, the run's events and the tool call in the " +
      "timeline, then answers with a short greeting from the playground model.",
    category: "Getting Started",
    tags: ["Starter", "Echo", "TypeScript"],
    defaultModel: "gpt-4o-mini",
    requiredIntegrations: ["echo-tool"],
    defaultPolicies: [],
    governanceTraits: ["policy-governed", "audit-ready"],
    accessRecommendations: [
      "Seed the starter kit first (POST /starter-kit) so echo-tool and playground-llm exist.",
      "Bind a policy that allows POST to the echo-tool; Restricted tools deny every call no rule allows.",
    ],
    useCases: ["First deploy on a new platform", "Checking that egress policies work end to end"],
    prompts: [{ title: "System", content: SYSTEM_PROMPT }],
    deploymentTemplate: {
      agentName: "hello-world",
      systemPrompt: SYSTEM_PROMPT,
      requiredTools: ["echo-tool"],
      recommendedTools: [],
      policies: [],
      accessMode: "open",
      identityProvider: "",
      sourceType: "typescript_source",
      sourceFiles: { "agent.ts": V1_1_SOURCE },
    },
    metadata: {
      complexity: "starter",
      featured: true,
      authoring_pattern: "handler",
      framework: "runagents",
    },
  },
  releases: [
    {
      version: "1.0.0",
      publishedAt: "2025-01-15T09:00:00Z",
      changelog: "First release: echoes the message through echo-tool.",
      summary: "Echoes your message through the starter kit's echo-tool.",
      sourceFiles: { "agent.ts": V1_0_SOURCE },
    },
    {
      version: "1.1.0",
      publishedAt: "2025-03-02T09:00:00Z",
      changelog: "Adds a one-line greeting from the model after the echo.",
    },
  ],
};
