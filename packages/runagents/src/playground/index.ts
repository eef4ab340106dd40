/**
 * @module
 * `runagents/playground`: the offline playground model (deterministic, no network, no key), as
 * rules ({@link playgroundAnswer}) and in the OpenAI wire format. The platform's `playground`
 * provider and `runagents dev` without a platform both answer with it.
 */

export {
  contentText,
  type PlaygroundAnswer,
  type PlaygroundMessage,
  type PlaygroundRequest,
  type PlaygroundTool,
  type PlaygroundToolCall,
  type PlaygroundUsage,
  playgroundAnswer,
} from "./model.js";
export {
  type PlaygroundChunk,
  type PlaygroundCompletion,
  playgroundChunks,
  playgroundCompletion,
} from "./wire.js";
