// Refusals in words for the operator console: the console's own reasons
// (catalogue conflicts, retrying a transaction that is not delivering,
// reconcile races) first, then the buyer pages' sentences (reasons.ts). For
// invalid input the service's own explanation follows the sentence, since
// an operator needs to know which field to fix.
import { describeRefusal, type Refusal } from "./reasons.js";

const OPS_REASONS: Record<string, string> = {
  NOT_DELIVERING:
    "Only a transaction that is confirming or cancelling can be retried; this one is not.",
  SKU_EXISTS: "A product with this id already exists.",
  EVENT_EXISTS: "An event with this id already exists.",
  VENUE_EXISTS: "A venue with this id already exists.",
  RUN_EXISTS: "This train already has a run on that date.",
  RECONCILE_CONTENDED: "Another reconcile is running for this: try again in a moment.",
  GATE_DISABLED: "This service runs without its Redis gate: there is nothing to reconcile.",
  ADMIN_REQUIRED: "Only operators may do this: sign in with the admin role.",
};

/** INVALID_ARGUMENT, ALREADY_EXISTS, FAILED_PRECONDITION, OUT_OF_RANGE: the message helps. */
const EXPLAINED_CODES = new Set([3, 6, 9, 11]);

export function describeOperatorRefusal(refusal: Refusal, message: string): string {
  const text = OPS_REASONS[refusal.reason] ?? describeRefusal(refusal);
  const detail = message.trim();
  return EXPLAINED_CODES.has(refusal.code) && detail && !OPS_REASONS[refusal.reason]
    ? `${text} The service says: ${detail}`
    : text;
}
