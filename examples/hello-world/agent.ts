/**
 * Hello World: the smallest governed agent. It sends the user's message to the starter kit's
 * echo-tool with `Agent.callTool`; the call goes through the platform egress, so the agent's
 * policies decide whether it may, and the run records it.
 */
import { Agent, type HandlerRequest } from "runagents";

const agent = new Agent();

interface EchoReply {
  reply?: string;
}

export async function handler(request: HandlerRequest) {
  const message = request.message.trim() || "Hello, RunAgents!";
  const echo = (await agent.callTool({
    name: "echo-tool",
    path: "/echo",
    payload: { message },
  })) as EchoReply;
  return { response: `echo-tool replied: ${echo.reply ?? ""}` };
}
