/**
 * @module
 * `runagents/audit`: the audit export's record format, its hash chain and an offline verifier.
 */

export {
  AUDIT_VERSION,
  type AuditEventFields,
  type AuditEventLine,
  type AuditHeadFields,
  type AuditHeadLine,
  type AuditLine,
  canonicalEvent,
  eventHash,
  eventLine,
  headHash,
  type RunHead,
  sha256,
} from "./chain.js";
export {
  type AuditSummary,
  AuditVerificationError,
  AuditVerifier,
  describeSummary,
  verifyAuditExport,
} from "./verify.js";
