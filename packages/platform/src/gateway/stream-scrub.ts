/**
 * @module gateway/stream-scrub
 * Provider secrets out of a streamed answer even when one is split across deltas: per choice,
 * the content and each tool call's arguments are scrubbed as one running text. The end of a
 * delta that could be the start of a secret (at most the longest secret's length − 1 characters,
 * and only when it matches a secret's beginning) is held back and sent with the next delta, the
 * choice's finishing chunk, or a last chunk of its own when the stream ends.
 */
import { scrub } from "./provider-keys.js";
import type { ChatChunk, ChunkChoice } from "./types.js";

export class StreamScrubber {
  /** Held-back text by `<choice>` (content) or `<choice>:<tool call index>` (arguments). */
  readonly #held = new Map<string, string>();
  #last: ChatChunk | undefined;

  constructor(private readonly secrets: readonly string[]) {}

  /** Scrubs `chunk`'s text deltas in place (holding back a possible secret's start). */
  chunk(chunk: ChatChunk): ChatChunk {
    if (this.secrets.length === 0) return chunk;
    this.#last = chunk;
    for (const choice of chunk.choices ?? []) this.#choice(choice);
    return chunk;
  }

  /** A last chunk with whatever is still held back, if anything is. */
  flush(): ChatChunk | undefined {
    if (this.#held.size === 0 || !this.#last) return undefined;
    const choices = new Map<number, ChunkChoice>();
    for (const [key, text] of this.#held) {
      if (text === "") continue;
      const [index, tool] = key.split(":").map(Number) as [number, number | undefined];
      let choice = choices.get(index);
      if (!choice) {
        choice = { index, delta: {}, finish_reason: null };
        choices.set(index, choice);
      }
      if (tool === undefined) choice.delta.content = text;
      else {
        choice.delta.tool_calls ??= [];
        choice.delta.tool_calls.push({ index: tool, function: { arguments: text } });
      }
    }
    this.#held.clear();
    if (choices.size === 0) return undefined;
    const { usage: _usage, ...shell } = this.#last;
    return { ...shell, choices: [...choices.values()] };
  }

  #choice(choice: ChunkChoice): void {
    const final = choice.finish_reason !== null && choice.finish_reason !== undefined;
    const delta = choice.delta ?? {};
    const content = this.#take(`${choice.index}`, delta.content ?? "", final);
    if (content !== "" || typeof delta.content === "string") delta.content = content;
    const calls = delta.tool_calls ?? [];
    for (const call of calls) {
      if (typeof call.function?.arguments !== "string") continue;
      call.function.arguments = this.#take(`${choice.index}:${call.index}`, call.function.arguments, final);
    }
    if (!final) return;
    // Finishing: release what the choice's tool calls still hold that this chunk did not carry.
    for (const [key, text] of this.#held) {
      if (!key.startsWith(`${choice.index}:`) || text === "") continue;
      delta.tool_calls ??= [];
      delta.tool_calls.push({ index: Number(key.split(":")[1]), function: { arguments: text } });
      this.#held.delete(key);
    }
    choice.delta = delta;
  }

  /** The part of `held + text` that can be sent now, scrubbed; the rest is held. */
  #take(key: string, text: string, final: boolean): string {
    const held = this.#held.get(key);
    if (text === "" && !held) return "";
    const whole = scrub(held ? held + text : text, this.secrets);
    const keep = final ? 0 : this.#possibleStart(whole);
    if (keep === 0) this.#held.delete(key);
    else this.#held.set(key, whole.slice(whole.length - keep));
    return keep === 0 ? whole : whole.slice(0, whole.length - keep);
  }

  /** The length of the longest end of `text` that is the beginning of a secret (shorter than it). */
  #possibleStart(text: string): number {
    let best = 0;
    for (const secret of this.secrets) {
      for (let k = Math.min(secret.length - 1, text.length); k > best; k--) {
        if (text.endsWith(secret.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
