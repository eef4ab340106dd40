/**
 * @module governance/catalog/support-triage
 * Classifies a support ticket, grounds a reply in the knowledge base, and labels the ticket
 * (a governed write that policy can send for approval).
 */
import type { CatalogEntry } from "./types.js";

const SOURCE = `/**
 * Support Triage: classifies an incoming ticket, looks for knowledge-base articles that answer
 * it, and proposes a priority and a reply. Labelling the ticket is a write to the ticketing
 * system; with an approval_required policy the platform pauses the run until someone approves,
 * then the runtime replays the call.
 */
import { Agent, PolicyDeniedError, type RunContext } from "runagents";

const agent = new Agent();

const PRIORITIES = ["P1", "P2", "P3", "P4"] as const;
type Priority = (typeof PRIORITIES)[number];

interface TriageRequest {
  message?: string;
  ticket_id?: string;
}

interface Article {
  title: string;
  url: string;
  snippet?: string;
}

interface Classification {
  category: string;
  priority: Priority;
  summary: string;
}

async function classify(text: string): Promise<Classification> {
  const completion = await agent.chat(
    "Classify this support ticket. Answer only with JSON " +
      '{"category": string, "priority": "P1"|"P2"|"P3"|"P4", "summary": string}.\\n\\n' +
      text,
  );
  const content: string = completion.choices?.[0]?.message?.content ?? "{}";
  try {
    const parsed = JSON.parse(content) as Partial<Classification>;
    const priority = PRIORITIES.includes(parsed.priority as Priority) ? (parsed.priority as Priority) : "P3";
    return { category: parsed.category ?? "general", priority, summary: parsed.summary ?? "" };
  } catch {
    return { category: "general", priority: "P3", summary: content.slice(0, 200) };
  }
}

export async function handler(request: TriageRequest, ctx: RunContext) {
  const text = (request.message ?? "").trim();
  if (!text) return { response: "Send the ticket text as message (and ticket_id to label it)." };

  const triage = await classify(text);
  const search = (await agent.callTool({ name: "knowledge-base", path: "/search", payload: {
    query: triage.summary || text,
    limit: 3,
  } })) as { results?: Article[] };
  const articles = search.results ?? [];

  const draft = await agent.chat(
    \`Draft a short, factual reply to this ticket. Cite only these articles:\\n\${articles
      .map((a) => \`- \${a.title} (\${a.url}): \${a.snippet ?? ""}\`)
      .join("\\n")}\\n\\nTicket:\\n\${text}\`,
  );
  const reply: string = draft.choices?.[0]?.message?.content ?? "";

  // Labelling may need an approval (ApprovalRequiredError propagates: the run pauses until then);
  // a policy that denies it leaves the ticket unlabelled and says why.
  let labelled = false;
  let notLabelled: string | undefined;
  if (request.ticket_id) {
    try {
      await agent.callTool({ name: "ticketing", path: \`/tickets/\${encodeURIComponent(request.ticket_id)}/labels\`, payload: {
        labels: [\`triage:\${triage.category}\`, \`priority:\${triage.priority}\`],
      } });
      labelled = true;
    } catch (error) {
      if (!(error instanceof PolicyDeniedError)) throw error;
      notLabelled = error.reason;
    }
  }

  return {
    response: reply,
    triage,
    articles: articles.map((a) => a.url),
    labelled,
    ...(notLabelled ? { not_labelled: notLabelled } : {}),
    model: ctx.model,
  };
}
`;

const SYSTEM_PROMPT =
  "You are a support triage assistant. Be factual, never promise fixes or dates, and ground every " +
  "suggested reply in the knowledge-base articles you were given.";

export const supportTriage: CatalogEntry = {
  base: {
    id: "support-triage",
    name: "Support Triage",
    summary: "Classifies support tickets, finds knowledge-base answers and labels tickets under approval.",
    description:
      "For support teams that want a consistent first pass on incoming tickets. The agent classifies " +
      "the ticket and sets a priority, searches the knowledge base for articles that answer it, drafts a " +
      "grounded reply, and writes triage labels back to the ticketing system — a write that policy can " +
      "route to a human for approval.",
    category: "Customer Operations",
    tags: ["Support", "Triage", "Knowledge Base", "TypeScript"],
    defaultModel: "gpt-4o-mini",
    requiredIntegrations: ["ticketing", "knowledge-base"],
    defaultPolicies: ["support-triage-guardrails"],
    governanceTraits: ["human-in-the-loop", "customer-safe", "audit-ready"],
    accessRecommendations: [
      "Allow reads from the knowledge base; require approval for POST /tickets/*/labels on the ticketing tool.",
      "Keep customer data out of prompts beyond the ticket being triaged.",
    ],
    useCases: ["First-pass ticket triage", "Grounded reply drafts", "Consistent priority labelling"],
    prompts: [{ title: "System", content: SYSTEM_PROMPT }],
    deploymentTemplate: {
      agentName: "support-triage",
      systemPrompt: SYSTEM_PROMPT,
      requiredTools: ["ticketing", "knowledge-base"],
      recommendedTools: ["chat"],
      policies: ["support-triage-guardrails"],
      accessMode: "authenticated",
      identityProvider: "",
      sourceType: "typescript_source",
      sourceFiles: { "agent.ts": SOURCE },
    },
    metadata: {
      complexity: "medium",
      featured: true,
      authoring_pattern: "handler",
      framework: "runagents",
    },
  },
  releases: [
    {
      version: "1.0.0",
      publishedAt: "2025-02-10T12:00:00Z",
      changelog: "First release: classification, knowledge-base search and reply drafts.",
    },
    {
      version: "1.2.0",
      publishedAt: "2025-04-22T12:00:00Z",
      changelog: "Labels the ticket with its triage category and priority (a governed write).",
    },
  ],
};
