// The flash-sale waiting room's decisions for the page (waiting_room.proto):
// a QueueTicket as what the buyer sees (waiting with position and estimated
// wait, admitted with the pass's time left, or the pass run out), the wait
// in words, how soon to ask again (GetTicket keeps the place, so never
// slower than the gateway's place TTL allows), and the waiting room's
// refusals in words, with the NOT_ADMITTED variants the gateway names in
// ErrorInfo.metadata.why.
import { describeRefusal, formatRetry, type Refusal } from "./reasons.js";

/** The parts of a QueueTicket the page uses, times as unix ms. */
export interface TicketLike {
  position: bigint | number;
  estimatedWaitMs: bigint | number;
  admitted: boolean;
  pass: string;
  passExpiresAtMs?: number;
}

export type QueueView =
  | { kind: "waiting"; position: number; etaMs: number }
  | { kind: "admitted"; pass: string; expiresAtMs: number; leftMs: number }
  | { kind: "expired" };

/** What a ticket means at `nowMs`. */
export function ticketView(ticket: TicketLike, nowMs: number): QueueView {
  if (ticket.admitted) {
    const expiresAtMs = ticket.passExpiresAtMs ?? 0;
    const leftMs = Math.max(0, expiresAtMs - nowMs);
    if (!ticket.pass || leftMs === 0) return { kind: "expired" };
    return { kind: "admitted", pass: ticket.pass, expiresAtMs, leftMs };
  }
  return {
    kind: "waiting",
    position: Math.max(1, Number(ticket.position)),
    etaMs: Math.max(0, Number(ticket.estimatedWaitMs)),
  };
}

/** "any moment now", "about 8 s", "about 3 min", "about 1 h 5 min". */
export function formatWait(ms: number): string {
  if (!(ms > 0)) return "any moment now";
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `about ${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `about ${hours} h ${rest} min` : `about ${hours} h`;
}

/** "You are number 2 in line." and the wait, as one sentence pair. */
export function waitingText(position: number, etaMs: number): string {
  const place = position === 1 ? "You are next in line" : `You are number ${position} in line`;
  return `${place}. Estimated wait: ${formatWait(etaMs)}.`;
}

export const MIN_POLL_MS = 500;
export const MAX_POLL_MS = 3000;
const MAX_BACKOFF_MS = 15_000;

/**
 * When to ask for the ticket again while waiting: a quarter of the
 * estimated wait, so the page is quiet far back in the line, between
 * MIN_POLL_MS and MAX_POLL_MS (under the gateway's --queue_place_ttl_s,
 * 30 s by default and 5 s in the E2E tests, after which an unasked place
 * lapses; the page cannot read it); and once the admission is
 * due within a second, just after it is due (the gateway admits lazily, on
 * the next call that finds the credit).
 */
export function pollDelayMs(etaMs: number): number {
  if (etaMs <= 2 * MIN_POLL_MS) return Math.max(200, Math.round(etaMs) + 50);
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(etaMs / 4)));
}

/**
 * After `failures` (>= 1) failed asks in a row: the server's RetryInfo delay
 * if it gave one, else 1 s, 2 s, 4 s ... up to 15 s, with +-25 % jitter
 * (`random` in [0, 1)) so that many buyers do not ask in step.
 */
export function backoffMs(failures: number, retryMs?: number, random = Math.random()): number {
  if (retryMs !== undefined && retryMs > 0) return Math.max(MIN_POLL_MS, retryMs);
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.75 + 0.5 * random));
}

const WHY: Record<string, string> = {
  EXPIRED: "Your pass has expired: join the waiting room again.",
  MISMATCH: "That pass is for another product or buyer: join this waiting room.",
  NO_PASS: "Not admitted yet: join the waiting room and wait for your turn.",
  NOT_ADMITTED: "Not admitted: your pass is no longer valid here. Join the waiting room again.",
};

/** A refusal of the flash-sale page's calls in words. */
export function describeQueueRefusal(refusal: Refusal): string {
  if (refusal.reason === "NOT_ADMITTED") {
    const text = WHY[refusal.metadata?.why ?? ""];
    if (text) return text;
  }
  if (refusal.reason === "QUEUE_FULL") {
    const when =
      refusal.retryMs !== undefined && refusal.retryMs > 0
        ? `in ${formatRetry(refusal.retryMs)}`
        : "in a moment";
    return `The waiting room is full: too many buyers are waiting. Try again ${when}.`;
  }
  if (refusal.reason === "WAITING_ROOM_OFF") return "This server runs no waiting room.";
  if (refusal.reason === "BAD_PRODUCT") return "That is not a valid product id.";
  return describeRefusal(refusal);
}
