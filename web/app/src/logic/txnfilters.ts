// The transactions list's filters: read from the route's query
// ("#/ops?state=CONFIRMING&participant=payment&age=60&stuck=1"), written
// back to it, and turned into a Coordinator.ListTransactions request. Bad
// values are reported, never sent.

export const TXN_STATES = ["TRYING", "CONFIRMING", "CONFIRMED", "CANCELLING", "CANCELLED"] as const;
export type TxnStateName = (typeof TXN_STATES)[number];

/** TxnState enum numbers of coordinator.proto (UNSPECIFIED = 0). */
const STATE_NUMBER: Record<TxnStateName, number> = {
  TRYING: 1,
  CONFIRMING: 2,
  CONFIRMED: 3,
  CANCELLING: 4,
  CANCELLED: 5,
};

export interface TxnFilters {
  /** "" = every state. */
  state: TxnStateName | "";
  /** "" = any participant. */
  participant: string;
  /** Minimum age in seconds, 0 = any. */
  minAgeSeconds: number;
  stuckOnly: boolean;
}

export const NO_FILTERS: TxnFilters = {
  state: "",
  participant: "",
  minAgeSeconds: 0,
  stuckOnly: false,
};

/** What ListTransactionsRequest takes (plain fields, for connect's create). */
export interface ListRequestFields {
  state: number;
  participant: string;
  minAgeSeconds: bigint;
  pageSize: number;
  pageToken: string;
  stuckOnly: boolean;
}

const PARTICIPANT = /^[a-z0-9_-]{1,64}$/;
const MAX_AGE_SECONDS = 7 * 86_400 * 52; // a year: the coordinator's bound is larger

/** Filters from the route's query; unknown or bad values are dropped. */
export function filtersFromQuery(query: URLSearchParams): TxnFilters {
  const state = (query.get("state") ?? "").toUpperCase();
  const participant = query.get("participant") ?? "";
  const age = Number(query.get("age") ?? "0");
  return {
    state: (TXN_STATES as readonly string[]).includes(state) ? (state as TxnStateName) : "",
    participant: PARTICIPANT.test(participant) ? participant : "",
    minAgeSeconds: Number.isInteger(age) && age > 0 && age <= MAX_AGE_SECONDS ? age : 0,
    stuckOnly: query.get("stuck") === "1",
  };
}

/** The query string of `filters` (without "?"); defaults are left out. */
export function filtersToQuery(filters: TxnFilters): string {
  const q = new URLSearchParams();
  if (filters.state) q.set("state", filters.state);
  if (filters.participant) q.set("participant", filters.participant);
  if (filters.minAgeSeconds > 0) q.set("age", String(filters.minAgeSeconds));
  if (filters.stuckOnly) q.set("stuck", "1");
  return q.toString();
}

/**
 * Filters from the form's raw inputs, or the sentence saying what is wrong.
 * `age` is a number with an optional unit: "90", "90s", "5m", "2h", "1d".
 */
export function filtersFromForm(form: {
  state: string;
  participant: string;
  age: string;
  stuckOnly: boolean;
}): TxnFilters | { error: string } {
  const state = form.state.trim().toUpperCase();
  if (state && !(TXN_STATES as readonly string[]).includes(state)) {
    return { error: `Unknown state “${form.state}”.` };
  }
  const participant = form.participant.trim().toLowerCase();
  if (participant && !PARTICIPANT.test(participant)) {
    return { error: "A participant name is 1 to 64 of a-z, 0-9, _ and -." };
  }
  const age = parseAge(form.age);
  if (age === undefined) {
    return { error: "Minimum age: a whole number of seconds, or e.g. 90s, 5m, 2h, 1d." };
  }
  return {
    state: state as TxnStateName | "",
    participant,
    minAgeSeconds: age,
    stuckOnly: form.stuckOnly,
  };
}

/** "90" / "90s" / "5m" / "2h" / "1d" in seconds; "" = 0; undefined if not one of these. */
export function parseAge(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (!t) return 0;
  const m = /^(\d{1,9})\s*(s|m|min|h|d)?$/.exec(t);
  if (!m) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600, d: 86_400 };
  const seconds = Number(m[1]) * unit[m[2] ?? "s"];
  return seconds <= MAX_AGE_SECONDS ? seconds : undefined;
}

/** The ListTransactions request for one page. */
export function listRequest(filters: TxnFilters, pageToken = "", pageSize = 25): ListRequestFields {
  return {
    state: filters.state ? STATE_NUMBER[filters.state] : 0,
    participant: filters.participant,
    minAgeSeconds: BigInt(filters.minAgeSeconds),
    pageSize,
    pageToken,
    stuckOnly: filters.stuckOnly,
  };
}
