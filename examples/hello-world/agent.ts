/**
 * Hello World: the smallest governed agent. It sends the user's message to the starter kit's
 * echo-tool with `Agent.callTool`; the call goes through the platform egress, so the agent's
 * policies decide whether it may, and the run records it.
 *
 * A denied call throws `PolicyDeniedError`: this agent catches it and says so (the run completes).
 * Any other error, `ApprovalRequiredError` included, is left to propagate: an approval pauses the
 * run until someone approves, then the handler runs again.
 */
import { Agent, type HandlerRequest, PolicyDeniedError } from "runagents";

const agent = new Agent();

interface EchoReply {
  reply?: string;
}

export async function handler(request: HandlerRequest) {
  const message = request.message.trim() || "Hello, RunAgents!";
  try {
    const echo = (await agent.callTool({
      name: "echo-tool",
      path: "/echo",
      payload: { message },
    })) as EchoReply;
    return { response: `echo-tool replied: ${echo.reply ?? ""}` };
  } catch (error) {
    if (error instanceof PolicyDeniedError) {
      return { response: `I am not allowed to call ${error.tool}: ${error.reason}` };
    }
    throw error;
  }
}
