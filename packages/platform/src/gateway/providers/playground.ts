/**
 * @module gateway/providers/playground
 * The offline playground model as a gateway provider: no key, no network, the same answer for
 * the same request. The rules live in the SDK (`runagents/playground`, documented in
 * docs/playground-model.md) so `runagents dev` can answer with the very same model when no
 * platform runs; this adapter serves them through the gateway, whole or streamed.
 */
import { type playgroundAnswer, playgroundChunks, playgroundCompletion } from "runagents/playground";
import type { ChatChunk, ChatCompletion, ProviderAdapter } from "../types.js";

export { type PlaygroundAnswer, playgroundAnswer } from "runagents/playground";

export const playgroundAdapter: ProviderAdapter = {
  async complete(_target, request) {
    return playgroundCompletion(request) as ChatCompletion;
  },

  async stream(_target, request) {
    return streamOf(request);
  },

  async probe() {
    return { available: true, message: "offline playground model: no network or key needed" };
  },
};

async function* streamOf(request: Parameters<typeof playgroundAnswer>[0]): AsyncGenerator<ChatChunk> {
  yield* playgroundChunks(request) as Iterable<ChatChunk>;
}
