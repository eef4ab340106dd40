/**
 * The first-visit deploy: the repository's examples/hello-world, bundled into the console at build
 * time, deployed through the public API with the policy its README applies.
 */

import agentSource from "../../../../examples/hello-world/agent.ts?raw";
import projectFile from "../../../../examples/hello-world/runagents.yaml?raw";
import { get, post } from "./api.js";

export const HELLO_WORLD = "hello-world";
export const HELLO_POLICY = "hello-world-echo";

export const HELLO_STEPS = [
  "Seed the starter kit (echo-tool, offline model)",
  "Apply the policy hello-world-echo (allow POST to echo-tool)",
  "Deploy examples/hello-world",
  "Wait until the agent is Running",
];

/** Runs the steps, reporting each one's start; throws the failing step's ApiError. */
export async function deployHelloWorld(onStep: (index: number) => void): Promise<void> {
  onStep(0);
  await post("/starter-kit");
  onStep(1);
  await post("/policies", {
    name: HELLO_POLICY,
    spec: { policies: [{ permission: "allow", operations: ["POST"], resource: "echo-tool" }] },
  });
  onStep(2);
  await post("/deploy", {
    agent_name: HELLO_WORLD,
    source_files: { "agent.ts": agentSource, "runagents.yaml": projectFile },
    required_tools: ["echo-tool"],
    policies: [HELLO_POLICY],
  });
  onStep(3);
  // The agent's phase is not on the event feed: ask until it settles (well under a second locally).
  for (let attempt = 0; attempt < 300; attempt++) {
    const agent = await get<{ phase: string; status: { message?: string } }>(`/agents/${HELLO_WORLD}`);
    if (agent.phase === "Running") return;
    if (agent.phase === "Failed")
      throw new Error(`hello-world failed to start: ${agent.status.message ?? ""}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("hello-world did not reach Running within a minute: see its logs on the Agents screen");
}
