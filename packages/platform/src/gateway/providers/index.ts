/**
 * @module gateway/providers
 * The adapter for each provider type. `bedrock` is registered as a type but has no adapter yet.
 */
import type { ProviderAdapter } from "../types.js";
import { anthropicAdapter } from "./anthropic.js";
import { ollamaAdapter } from "./ollama.js";
import { openaiAdapter } from "./openai.js";
import { playgroundAdapter } from "./playground.js";

const ADAPTERS: Readonly<Record<string, ProviderAdapter>> = {
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
  ollama: ollamaAdapter,
  playground: playgroundAdapter,
};

export function adapterFor(type: string): ProviderAdapter | undefined {
  return Object.hasOwn(ADAPTERS, type) ? ADAPTERS[type] : undefined;
}
