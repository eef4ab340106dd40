/**
 * @module gateway/pricing
 * Model prices in USD per 1,000 tokens, used to estimate spend from token usage.
 *
 * Lookup order: the provider's own `spec.pricing[model]` (exact id), then free for local
 * providers (`ollama`, `playground`, whatever the model's name), then the built-in table (exact
 * id, else the longest table key the id starts with, so dated snapshots such as
 * `gpt-4o-2024-08-06` or `claude-3-5-sonnet-20241022` price like their family; a `vendor/` or
 * Bedrock `vendor.` prefix is ignored), then a conservative fallback (the `gpt-4o` price) so that a budget still means something for a
 * model nobody priced. The table is an estimate, not a bill.
 */

export interface ModelPrice {
  input_per_1k: number;
  output_per_1k: number;
}

export interface ResolvedPrice extends ModelPrice {
  /** Where the price came from. */
  source: "provider" | "table" | "free" | "fallback";
}

/** Public list prices (USD per 1k tokens) of common OpenAI and Anthropic models. */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  "gpt-4o": { input_per_1k: 0.0025, output_per_1k: 0.01 },
  "gpt-4o-mini": { input_per_1k: 0.00015, output_per_1k: 0.0006 },
  "gpt-4.1": { input_per_1k: 0.002, output_per_1k: 0.008 },
  "gpt-4.1-mini": { input_per_1k: 0.0004, output_per_1k: 0.0016 },
  "gpt-4.1-nano": { input_per_1k: 0.0001, output_per_1k: 0.0004 },
  "gpt-4-turbo": { input_per_1k: 0.01, output_per_1k: 0.03 },
  "gpt-4": { input_per_1k: 0.03, output_per_1k: 0.06 },
  "gpt-3.5-turbo": { input_per_1k: 0.0005, output_per_1k: 0.0015 },
  o1: { input_per_1k: 0.015, output_per_1k: 0.06 },
  "o1-mini": { input_per_1k: 0.0011, output_per_1k: 0.0044 },
  o3: { input_per_1k: 0.002, output_per_1k: 0.008 },
  "o3-mini": { input_per_1k: 0.0011, output_per_1k: 0.0044 },
  "o4-mini": { input_per_1k: 0.0011, output_per_1k: 0.0044 },
  "text-embedding-3-small": { input_per_1k: 0.00002, output_per_1k: 0 },
  "text-embedding-3-large": { input_per_1k: 0.00013, output_per_1k: 0 },
  "text-embedding-ada-002": { input_per_1k: 0.0001, output_per_1k: 0 },
  "claude-opus-4": { input_per_1k: 0.015, output_per_1k: 0.075 },
  "claude-sonnet-4": { input_per_1k: 0.003, output_per_1k: 0.015 },
  "claude-haiku-4": { input_per_1k: 0.001, output_per_1k: 0.005 },
  "claude-3-7-sonnet": { input_per_1k: 0.003, output_per_1k: 0.015 },
  "claude-3-5-sonnet": { input_per_1k: 0.003, output_per_1k: 0.015 },
  "claude-3-5-haiku": { input_per_1k: 0.0008, output_per_1k: 0.004 },
  "claude-3-opus": { input_per_1k: 0.015, output_per_1k: 0.075 },
  "claude-3-sonnet": { input_per_1k: 0.003, output_per_1k: 0.015 },
  "claude-3-haiku": { input_per_1k: 0.00025, output_per_1k: 0.00125 },
  playground: { input_per_1k: 0, output_per_1k: 0 },
};

export const FALLBACK_PRICE: ModelPrice = { input_per_1k: 0.0025, output_per_1k: 0.01 };

const FREE_PROVIDERS = new Set(["ollama", "playground"]);

/** The price of `model`, given the provider's optional pricing overrides and provider type. */
export function priceFor(
  model: string,
  options: { pricing?: Readonly<Record<string, ModelPrice>>; providerType?: string } = {},
): ResolvedPrice {
  const own = options.pricing?.[model];
  if (own) return { ...own, source: "provider" };
  // A local provider is free whatever the model is called (the playground serves `gpt-4o-mini`).
  if (options.providerType && FREE_PROVIDERS.has(options.providerType)) {
    return { input_per_1k: 0, output_per_1k: 0, source: "free" };
  }
  const fromTable = tablePrice(model);
  // Spelled out: `{ ...price, source }` takes V8's slow path (about a microsecond a call).
  if (fromTable) {
    return { input_per_1k: fromTable.input_per_1k, output_per_1k: fromTable.output_per_1k, source: "table" };
  }
  return {
    input_per_1k: FALLBACK_PRICE.input_per_1k,
    output_per_1k: FALLBACK_PRICE.output_per_1k,
    source: "fallback",
  };
}

/** Table lookups by model id (a gateway sees few distinct ids; the memo is dropped when large). */
const tableMemo = new Map<string, ModelPrice | null>();

function tablePrice(model: string): ModelPrice | undefined {
  let price = tableMemo.get(model);
  if (price === undefined) {
    if (tableMemo.size >= 1000) tableMemo.clear();
    price = lookupTable(model) ?? null;
    tableMemo.set(model, price);
  }
  return price ?? undefined;
}

function lookupTable(model: string): ModelPrice | undefined {
  const bare = model.slice(model.lastIndexOf("/") + 1).toLowerCase();
  for (const id of [bare, bare.replace(/^(?:[a-z]+\.)+/, "")]) {
    const exact = DEFAULT_PRICES[id];
    if (exact) return exact;
    let best = "";
    for (const key of Object.keys(DEFAULT_PRICES)) {
      if (id.startsWith(`${key}-`) && key.length > best.length) best = key;
    }
    if (best) return DEFAULT_PRICES[best];
  }
  return undefined;
}

/** Estimated cost in USD of one call, rounded to a millionth of a dollar. */
export function estimateCostUsd(price: ModelPrice, inputTokens: number, outputTokens: number): number {
  return roundUsd((inputTokens / 1000) * price.input_per_1k + (outputTokens / 1000) * price.output_per_1k);
}

/** Round to 6 decimals so sums of small floats read cleanly. */
export const roundUsd = (value: number): number => Math.round(value * 1e6) / 1e6;
