/**
 * @module governance/catalog/expense-review
 * Reviews an expense report against policy and submits the decision — the approval step is a
 * governed write that pauses for a human.
 */
import type { CatalogEntry } from "./types.js";

const SOURCE = `/**
 * Expense Review: checks an expense report against the written expense policy and submits a
 * recommendation. Submitting is a write to the expense system; bind an approval_required policy
 * so a finance approver confirms it (the payload hash ties the approval to this exact decision).
 */
import { Agent, PolicyDeniedError, type RunContext } from "runagents";

const agent = new Agent();

interface ReviewRequest {
  message?: string;
  report_id?: string;
}

interface ExpenseLine {
  description: string;
  amount: number;
  currency: string;
  category: string;
  receipt: boolean;
}

interface ExpenseReport {
  id: string;
  employee: string;
  lines: ExpenseLine[];
}

export async function handler(request: ReviewRequest, ctx: RunContext) {
  const reportId = (request.report_id ?? request.message ?? "").trim();
  if (!reportId) return { response: "Send the expense report id as report_id." };

  const report = (await agent.callTool({ name: "expense-system", path: "/reports/lookup", payload: { id: reportId } })) as ExpenseReport;
  const missingReceipts = report.lines.filter((line) => !line.receipt && line.amount >= 25);
  const total = report.lines.reduce((sum, line) => sum + line.amount, 0);

  const review = await agent.chat(
    \`Review this expense report against the policy in your instructions. Flag anything that needs \` +
      \`a closer look and end with APPROVE or REJECT.\\n\${JSON.stringify(report, null, 2)}\`,
  );
  const notes: string = review.choices?.[0]?.message?.content ?? "";
  const recommendation = missingReceipts.length === 0 && /APPROVE\\s*$/.test(notes) ? "approve" : "reject";

  // Submitting needs a finance approval: ApprovalRequiredError propagates and pauses the run until
  // then. A policy that denies the submission is reported, not retried.
  try {
    await agent.callTool({ name: "expense-system", path: \`/reports/\${encodeURIComponent(report.id)}/decision\`, payload: {
      decision: recommendation,
      notes,
    } });
  } catch (error) {
    if (!(error instanceof PolicyDeniedError)) throw error;
    return {
      response: \`Report \${report.id}: recommended \${recommendation}, but the decision could not be submitted: \${error.reason}\`,
      model: ctx.model,
    };
  }

  return {
    response: \`Report \${report.id} (\${report.lines.length} lines, total \${total.toFixed(2)}): \${recommendation}.\`,
    missing_receipts: missingReceipts.map((line) => line.description),
    model: ctx.model,
  };
}
`;

const SYSTEM_PROMPT =
  "You review expense reports. Receipts are required for every line of 25 or more; meals are capped at " +
  "75 per person per day; alcohol and personal items are never reimbursable. Be brief and specific.";

export const expenseReview: CatalogEntry = {
  base: {
    id: "expense-review",
    name: "Expense Review",
    summary: "Checks expense reports against policy and submits decisions after human approval.",
    description:
      "For finance teams reviewing employee expense reports. The agent reads the report, checks " +
      "receipts and policy limits, writes review notes, and submits its recommendation to the expense " +
      "system — a governed write that waits for a finance approver.",
    category: "Finance",
    tags: ["Finance", "Expenses", "Approvals", "TypeScript"],
    defaultModel: "gpt-4o-mini",
    requiredIntegrations: ["expense-system"],
    defaultPolicies: ["expense-approvals"],
    governanceTraits: ["human-in-the-loop", "payload-hash-verified", "audit-ready"],
    accessRecommendations: [
      "Require approval (approvers: finance-approvers) for POST /reports/*/decision.",
      "Use scope once for decisions so every submission is approved on its own.",
    ],
    useCases: ["Expense policy checks", "Receipt follow-up", "Approval-gated submissions"],
    prompts: [{ title: "System", content: SYSTEM_PROMPT }],
    deploymentTemplate: {
      agentName: "expense-review",
      systemPrompt: SYSTEM_PROMPT,
      requiredTools: ["expense-system"],
      recommendedTools: [],
      policies: ["expense-approvals"],
      accessMode: "authenticated",
      identityProvider: "",
      sourceType: "typescript_source",
      sourceFiles: { "agent.ts": SOURCE },
    },
    metadata: {
      complexity: "medium",
      featured: false,
      authoring_pattern: "handler",
      framework: "runagents",
    },
  },
  releases: [
    {
      version: "1.0.0",
      publishedAt: "2025-05-06T15:30:00Z",
      changelog: "First release.",
    },
  ],
};
