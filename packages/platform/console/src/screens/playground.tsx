/**
 * Playground: chat with an agent. Tokens are shown as they stream in (POST .../invoke/stream),
 * tool calls inline with their outcome; a call that waits for approval links to the inbox and
 * the run, and the run's progress (approved, resumed) and its answer appear here live when it
 * completes after the decision — also for a person signed in through an identity provider.
 */
import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { get, request } from "../api.js";
import { onFeed } from "../live.js";
import { href, navigate } from "../router.js";
import { idToken, signedInUser } from "../session.js";
import { Empty, ErrorNote, Page, useLoad } from "../ui/parts.js";

type Item =
  | { kind: "user"; text: string }
  | {
      kind: "agent";
      text: string;
      runId: string;
      done: boolean;
      /** Where a paused run stands, from the live feed ("Approved: resuming…"). */
      status?: string;
    }
  | {
      kind: "tool";
      tool: string;
      detail: string;
      outcome: "called" | "result" | "approval" | "consent" | "error";
    };

interface Conversation {
  id: string;
  items: Item[];
}

/**
 * Conversations per agent, kept while the console is open (leave the playground and come back),
 * and completed from the live feed even while another screen is shown.
 */
const conversations = signal<Record<string, Conversation>>({});

function update(agent: string, change: (c: Conversation) => Conversation): void {
  const current = conversations.value[agent] ?? { id: "", items: [] };
  conversations.value = { ...conversations.value, [agent]: change(current) };
}

/** What a paused run's feed events say while it waits, resumes and finishes. */
const PROGRESS: Record<string, string> = {
  APPROVED: "Approved: resuming…",
  REJECTED: "Rejected: the call was not made.",
  RESUMED: "Resumed…",
  FAILED: "The run failed: open the run for the reason.",
};

// A run paused for approval finishes later: it resumes and its answer arrives on the live feed
// (for a signed-in person too: their feed carries the runs they started).
onFeed((e) => {
  const answer = e.type === "AGENT_MESSAGE";
  if (!answer && !(e.type in PROGRESS) && e.type !== "COMPLETED") return;
  const conversation = conversations.value[e.agent_id];
  if (!conversation?.items.some((i) => i.kind === "agent" && i.runId === e.run_id && !i.done)) return;
  update(e.agent_id, (c) => {
    const at = c.items.findIndex((i) => i.kind === "agent" && i.runId === e.run_id && !i.done);
    const item = c.items[at] as Extract<Item, { kind: "agent" }>;
    const ended = e.type === "COMPLETED" || e.type === "FAILED";
    const next = answer
      ? {
          ...item,
          text: String(e.data.message ?? e.data.content ?? e.message ?? ""),
          done: true,
          status: "",
        }
      : { ...item, done: ended, status: PROGRESS[e.type] ?? "" };
    // The run's progress reads after the call it waited on.
    return { ...c, items: [...c.items.slice(0, at), ...c.items.slice(at + 1), next] };
  });
});

/** The agent chatted with last: the Playground link opens its conversation again. */
let lastAgent = "";

export function PlaygroundScreen({ agent }: { agent: string }) {
  // A person signed in through an identity provider cannot list agents (that needs a key): they name one.
  const asUser = idToken.value !== "";
  const agents = useLoad(() =>
    asUser ? Promise.resolve(undefined) : get<{ name: string; phase: string }[]>("/agents"),
  );
  const [typed, setTyped] = useState(agent);
  useEffect(() => {
    if (agent) lastAgent = agent;
    else if (lastAgent) location.replace(href("playground", lastAgent));
  }, [agent]);
  const { id: conversation, items } = conversations.value[agent] ?? { id: "", items: [] };
  const setItems = (change: (list: Item[]) => Item[]) =>
    update(agent, (c) => ({ ...c, items: change(c.items) }));
  const setConversation = (id: string) => update(agent, (c) => ({ ...c, id }));
  const [message, setMessage] = useState("");
  const [user, setUser] = useState("playground-user");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const log = useRef<HTMLOListElement>(null);
  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView({ block: "nearest" });
  }, [items]);

  const send = async (e: Event) => {
    e.preventDefault();
    const text = message.trim();
    if (!agent || !text || busy) return;
    setMessage("");
    setBusy(true);
    setError(undefined);
    setItems((list) => [...list, { kind: "user", text }]);
    try {
      await stream(
        agent,
        {
          message: text,
          ...(asUser ? {} : { user_id: user.trim() }),
          ...(conversation ? { conversation_id: conversation } : {}),
        },
        (event) => {
          if (event.type === "run" && typeof event.conversation_id === "string")
            setConversation(event.conversation_id);
          setItems((list) => apply(list, event));
        },
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const names = agents.data?.map((a) => a.name) ?? [];
  return (
    <Page title="Playground">
      <ErrorNote error={agents.error} />
      <div class="toolbar">
        {asUser ? (
          <form
            class="inline"
            onSubmit={(e) => {
              e.preventDefault();
              if (typed.trim()) navigate("playground", typed.trim());
            }}
          >
            <label>
              Agent
              <input
                value={typed}
                onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
                size={16}
              />
            </label>
            <button type="submit">Open</button>
            <span class="muted small">As {signedInUser()?.subject}</span>
          </form>
        ) : (
          <label>
            Agent
            <select
              value={agent}
              onChange={(e) => navigate("playground", (e.target as HTMLSelectElement).value)}
            >
              <option value="">Choose an agent…</option>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
        {asUser ? null : (
          <label>
            As user
            <input value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} size={16} />
          </label>
        )}
        {conversation ? (
          <>
            <span class="muted small">Conversation {conversation}</span>
            <button type="button" onClick={() => update(agent, () => ({ id: "", items: [] }))}>
              New conversation
            </button>
          </>
        ) : null}
      </div>
      {agents.data && names.length === 0 ? (
        <Empty>
          No agents yet: <a href={href()}>deploy hello-world from the dashboard</a>.
        </Empty>
      ) : null}
      <ol class="chat" ref={log} aria-live="polite" aria-label="Conversation">
        {items.map((item, i) => (
          <ChatItem key={i} item={item} />
        ))}
      </ol>
      <ErrorNote error={error} />
      <form class="composer" onSubmit={send}>
        <label for="message" class="sr-only">
          Message
        </label>
        <input
          id="message"
          value={message}
          placeholder={agent ? `Message ${agent}` : "Choose an agent first"}
          disabled={!agent}
          onInput={(e) => setMessage((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary" disabled={!agent || busy || !message.trim()}>
          {busy ? "Sending…" : "Send"}
        </button>
      </form>
    </Page>
  );
}

function ChatItem({ item }: { item: Item }) {
  if (item.kind === "user") return <li class="msg user">{item.text}</li>;
  if (item.kind === "agent") {
    return (
      <li class="msg agent">
        {item.text || (item.done ? "" : "…")}
        {item.status ? <span class="muted small"> {item.status}</span> : null}
        {item.runId ? (
          <a class="small" href={href("runs", item.runId)}>
            {" "}
            Run {item.runId}
          </a>
        ) : null}
      </li>
    );
  }
  const label = {
    called: "calls",
    result: "got a result from",
    approval: "waits for approval to call",
    consent: "waits for the user's consent to call",
    error: "failed",
  }[item.outcome];
  return (
    <li class={`msg tool ${item.outcome}`}>
      <strong>Tool:</strong> {label} <code>{item.tool}</code>
      {item.detail ? <span class="mono small"> {item.detail}</span> : null}
      {item.outcome === "approval" ? (
        <>
          {" "}
          <a href={href("approvals")}>Open the approvals inbox</a>
        </>
      ) : null}
    </li>
  );
}

type StreamEvent = Record<string, unknown> & { type: string };

function apply(list: Item[], event: StreamEvent): Item[] {
  const runId = typeof event.run_id === "string" ? event.run_id : "";
  switch (event.type) {
    case "run":
      return [...list, { kind: "agent", text: "", runId, done: false }];
    case "content": {
      const delta = String(event.delta ?? "");
      const at = findLastAgent(list);
      if (at < 0) return list;
      const agentItem = list[at] as Extract<Item, { kind: "agent" }>;
      // The answer reads after the tool calls that led to it.
      return [...list.slice(0, at), ...list.slice(at + 1), { ...agentItem, text: agentItem.text + delta }];
    }
    case "tool_call":
      return [
        ...list,
        { kind: "tool", tool: String(event.tool), detail: String(event.arguments ?? ""), outcome: "called" },
      ];
    case "tool_result":
      return [
        ...list,
        { kind: "tool", tool: String(event.tool), detail: String(event.result ?? ""), outcome: "result" },
      ];
    case "approval_required":
    case "consent_required":
      return [
        ...list,
        {
          kind: "tool",
          tool: String(event.tool ?? ""),
          detail: typeof event.detail === "string" ? event.detail : "",
          outcome: event.type === "approval_required" ? "approval" : "consent",
        },
      ];
    case "done": {
      const at = findLastAgent(list);
      if (at < 0) return list;
      const next = [...list];
      const agentItem = next[at] as Extract<Item, { kind: "agent" }>;
      // Paused for a decision in this turn: the answer comes later, on the live feed.
      const turn = list.findLastIndex((i) => i.kind === "user");
      const paused = list.some(
        (i, idx) => idx > turn && i.kind === "tool" && (i.outcome === "approval" || i.outcome === "consent"),
      );
      next[at] = { ...agentItem, done: !paused };
      return next;
    }
    case "error":
      return [...list, { kind: "tool", tool: "", detail: String(event.message ?? ""), outcome: "error" }];
    default:
      return list;
  }
}

const findLastAgent = (list: Item[]): number => {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]?.kind === "agent") return i;
  return -1;
};

/** POSTs and reads the answer's Server-Sent Events as they arrive. */
async function stream(agent: string, body: Record<string, unknown>, onEvent: (e: StreamEvent) => void) {
  const res = await request("POST", `/agents/${encodeURIComponent(agent)}/invoke/stream`, body);
  const reader = res.body?.getReader();
  if (!reader) return;
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data && data !== "[DONE]") {
        try {
          onEvent(JSON.parse(data) as StreamEvent);
        } catch {
          // Not JSON: not an event this screen shows.
        }
      }
      end = buffer.indexOf("\n\n");
    }
  }
}
