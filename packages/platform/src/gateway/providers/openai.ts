/**
 * @module gateway/providers/openai
 * Any OpenAI-compatible endpoint: the request passes through as sent (streams ask for
 * `stream_options.include_usage` so spend is exact). The endpoint may be a bare host
 * (`http://host:port` → `/v1/chat/completions`), a base with `/v1` or another path (used as
 * is), or an Azure deployment URL whose `?api-version=` query is kept; the key goes where
 * `spec.auth.apiKeyConfig` says (Azure: `name: "api-key"`). Health: `GET <base>/models`.
 */
import { isObject } from "../../validate.js";
import { failFrom, parseJsonAnswer, probeHttp, providerMessage, readSseData } from "../answers.js";
import { applyApiKey, joinEndpoint } from "../provider-keys.js";
import {
  type ChatChunk,
  type ChatCompletion,
  completionTexts,
  nowSeconds,
  type ProviderAdapter,
  ProviderError,
  type ProviderTarget,
} from "../types.js";
import { type Endpoint, endpointOf, requestText, sendUpstream } from "../upstream.js";
import { usageOf } from "../usage.js";

function urlFor(target: ProviderTarget, path: string): { url: URL; headers: Record<string, string> } {
  const endpoint = new URL(target.endpoint);
  endpoint.pathname = endpoint.pathname.replace(/\/chat\/completions\/?$/, "");
  const url = joinEndpoint(endpoint.href, path, "/v1");
  const headers: Record<string, string> = { accept: "application/json" };
  applyApiKey(target, url, headers, { header: "Authorization", prefix: "Bearer " });
  return { url, headers };
}

/** The chat endpoint and request headers of a target, derived once per target. */
interface ChatRoute {
  endpoint: Endpoint;
  json: Record<string, string>;
  sse: Record<string, string>;
}

const chatRoutes = new WeakMap<ProviderTarget, ChatRoute>();

function chatRoute(target: ProviderTarget): ChatRoute {
  let route = chatRoutes.get(target);
  if (!route) {
    const { url, headers } = urlFor(target, "/chat/completions");
    const json = { ...headers, "content-type": "application/json" };
    route = { endpoint: endpointOf(url), json, sse: { ...json, accept: "text/event-stream" } };
    chatRoutes.set(target, route);
  }
  return route;
}

export const openaiAdapter: ProviderAdapter = {
  async complete(target, request, signal) {
    const route = chatRoute(target);
    const body = JSON.stringify(request.stream === false ? request : { ...request, stream: false });
    const { status, text } = await requestText({
      url: route.endpoint,
      method: "POST",
      headers: route.json,
      body,
      signal,
    });
    if (status < 200 || status >= 300) throw new ProviderError(providerMessage(text, status), status);
    const value = parseJsonAnswer(text, status);
    const completion = toCompletion(value, request.model);
    // A complete answer passes through as the provider's own text (see `completionTexts`).
    if (completion === value && usageOf(value.usage) && !text.includes("\\u") && !text.includes("\\/")) {
      completionTexts.set(completion, text);
    }
    return completion;
  },

  async stream(target, request, signal) {
    const route = chatRoute(target);
    const options = isObject(request.stream_options) ? request.stream_options : {};
    const body = { ...request, stream: true, stream_options: { ...options, include_usage: true } };
    const res = await sendUpstream({
      url: route.endpoint,
      method: "POST",
      headers: route.sse,
      body: JSON.stringify(body),
      signal,
    });
    if (res.status < 200 || res.status >= 300) await failFrom(res);
    return chunks(readSseData(res.body), request.model);
  },

  probe(target, timeoutMs) {
    const { url, headers } = urlFor(target, "/models");
    // An Azure deployment URL has no model list of its own: any answer but a refused key will do.
    const azure = url.searchParams.has("api-version");
    return probeHttp(url, headers, timeoutMs, (status) =>
      azure ? status < 500 && status !== 401 && status !== 403 : status >= 200 && status < 300,
    );
  },
};

/** Fills the envelope keys a lax OpenAI-compatible server may leave out. */
export function toCompletion(value: Record<string, unknown>, model: string): ChatCompletion {
  if (!Array.isArray(value.choices)) {
    throw new ProviderError(
      `the provider's answer has no choices: ${providerMessage(JSON.stringify(value), 200)}`,
    );
  }
  if (
    typeof value.id === "string" &&
    value.object === "chat.completion" &&
    typeof value.created === "number" &&
    typeof value.model === "string"
  ) {
    return value as ChatCompletion; // nothing to fill in
  }
  return {
    ...value,
    id: typeof value.id === "string" ? value.id : `chatcmpl-${Date.now()}`,
    object: "chat.completion",
    created: typeof value.created === "number" ? value.created : nowSeconds(),
    model: typeof value.model === "string" ? value.model : model,
    choices: value.choices as ChatCompletion["choices"],
  };
}

async function* chunks(data: AsyncIterable<string>, model: string): AsyncGenerator<ChatChunk> {
  for await (const text of data) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ProviderError(`the provider sent a stream event that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!isObject(value)) continue;
    if (value.error !== undefined) throw new ProviderError(providerMessage(text, 200));
    yield {
      ...value,
      id: typeof value.id === "string" ? value.id : "",
      object: "chat.completion.chunk",
      created: typeof value.created === "number" ? value.created : nowSeconds(),
      model: typeof value.model === "string" ? value.model : model,
      choices: Array.isArray(value.choices) ? (value.choices as ChatChunk["choices"]) : [],
    };
  }
}
