// Refusals in words. The mesh and the gateway put a machine-readable reason
// in a google.rpc.ErrorInfo (DESIGN.md §6) and a delay in RetryInfo when a
// retry helps; this module turns (gRPC code, reason, metadata, delay) into a
// sentence for the buyer. Unknown reasons fall back to the code's meaning,
// never to the raw status text.

export interface Refusal {
  /** gRPC status code (connect's Code has the same numbers). */
  code: number;
  /** ErrorInfo.reason, "" if none. */
  reason: string;
  /** ErrorInfo.metadata. */
  metadata?: Record<string, string>;
  /** RetryInfo.retry_delay in milliseconds, if given. */
  retryMs?: number;
}

const REASONS: Record<string, string> = {
  SOLD_OUT: "Sold out: there is not enough left of this item.",
  SEAT_TAKEN: "Seat taken: someone else holds or has bought a seat you chose.",
  SLOT_TAKEN: "That time is taken: the machine is booked over part of the window.",
  USER_LIMIT: "Limit reached: this would pass the most one buyer may book.",
  INSUFFICIENT_FUNDS: "Insufficient funds: your wallet balance is too low for this order.",
  RATE_LIMITED: "Too many requests.",
  GATEWAY_OVERLOADED: "The service is busy.",
  OVERLOADED: "The service is busy.",
  NOT_ADMITTED: "Not admitted yet: join the waiting room and wait for your turn.",
  NOT_QUEUED: "This product has no waiting room.",
  QUEUE_FULL: "The waiting room is full.",
  NOT_IN_QUEUE: "You are not in the waiting room (or your place lapsed): join again.",
  ORDER_EXPIRED: "This order has expired: its reservation was released.",
  ORDER_CANCELLED: "This order was cancelled.",
  ORDER_FAILED: "This order failed and holds nothing.",
  ALREADY_PAID: "This order is already paid.",
  ORDER_NOT_PENDING_PAYMENT: "This order is not waiting for payment.",
  MIXED_CURRENCY: "The items of an order must all be in one currency.",
  TOTAL_TOO_LARGE: "The order total is too large.",
  AMOUNT_TOO_LARGE: "The amount is too large.",
  REQUEST_ID_REUSED: "This request was already used for another order.",
  SKU_NOT_FOUND: "No such product.",
  EVENT_NOT_FOUND: "No such event.",
  SEAT_NOT_FOUND: "No such seat.",
  VENUE_NOT_FOUND: "No such venue.",
  ZONE_NOT_FOUND: "No such zone.",
  MACHINE_NOT_FOUND: "No such machine.",
  RUN_NOT_FOUND: "No such train run.",
  CLASS_NOT_FOUND: "No such seat class.",
  ORDER_MISSING: "No such order.",
  BOOKING_NOT_SERVED: "Bookings are not available on this server.",
  TOKEN_MISSING: "Please sign in.",
  TOKEN_EXPIRED: "Your sign-in has expired: please sign in again.",
  TOKEN_MALFORMED: "Your sign-in is not valid: please sign in again.",
  TOKEN_BAD_SIGNATURE: "Your sign-in is not valid: please sign in again.",
  TOKEN_BAD_ISSUER: "Your sign-in is not valid here: please sign in again.",
  TOKEN_BAD_AUDIENCE: "Your sign-in is not valid here: please sign in again.",
  TOKEN_UNKNOWN_KEY: "Your sign-in is not valid: please sign in again.",
  TOKEN_NOT_YET_VALID: "Your sign-in is not valid yet: check your clock.",
  TOKEN_ALG_REFUSED: "Your sign-in is not valid: please sign in again.",
  ADMIN_REQUIRED: "Only operators may do this.",
  TXN_DEADLINE: "The order took too long and was released: please try again.",
  COMMIT_UNKNOWN: "The outcome is not known yet: check My orders in a moment.",
  REDIS_UNAVAILABLE: "The service is briefly unavailable.",
  DB_UNAVAILABLE: "The service is briefly unavailable.",
  BACKEND_UNAVAILABLE: "The service is briefly unavailable.",
  RATE_LIMITER_UNAVAILABLE: "The service is briefly unavailable.",
  SHUTTING_DOWN: "The service is restarting.",
};

// What a code means when the reason says nothing we know.
const CODES: Record<number, string> = {
  1: "The request was cancelled.",
  2: "Something went wrong on the server.",
  3: "Some of what you entered is not valid.",
  4: "The server did not answer in time.",
  5: "Not found.",
  6: "That already exists.",
  7: "You may not do this.",
  8: "The service is busy.",
  9: "This cannot be done now.",
  10: "This was interrupted: please try again.",
  11: "A value is out of range.",
  12: "This is not available here.",
  13: "Something went wrong on the server.",
  14: "The service is briefly unavailable.",
  15: "Something went wrong on the server.",
  16: "Please sign in.",
};

/** "3 s", "1 min 5 s": a retry delay in words, rounded up to the second. */
export function formatRetry(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

/** The buyer-facing sentence for a refusal. */
export function describeRefusal(refusal: Refusal): string {
  let text = REASONS[refusal.reason] ?? CODES[refusal.code] ?? "Something went wrong.";
  if (refusal.reason === "USER_LIMIT" && refusal.metadata?.quota) {
    const quota: Record<string, string> = {
      doc: "per identity document and day",
      "user-day": "per buyer and day",
      "user-run": "per buyer and train",
    };
    const which = quota[refusal.metadata.quota];
    const limit = refusal.metadata.limit ? ` (${refusal.metadata.limit})` : "";
    if (which) text = `Limit reached: this would pass the most one may book ${which}${limit}.`;
  }
  if (refusal.retryMs !== undefined && refusal.retryMs > 0) {
    text += ` Try again in ${formatRetry(refusal.retryMs)}.`;
  } else if (refusal.code === 14 || refusal.code === 8) {
    text += " Try again in a moment.";
  }
  return text;
}
