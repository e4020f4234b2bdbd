import { describe, expect, it } from "vitest";

import {
  MAX_POLL_MS,
  MIN_POLL_MS,
  backoffMs,
  describeQueueRefusal,
  formatWait,
  pollDelayMs,
  ticketView,
  waitingText,
} from "../src/logic/queue.js";

const waiting = { position: 3n, estimatedWaitMs: 7_500n, admitted: false, pass: "" };

describe("ticketView", () => {
  it("shows a waiting ticket's place and wait", () => {
    expect(ticketView(waiting, 0)).toEqual({ kind: "waiting", position: 3, etaMs: 7_500 });
    // The server never answers position 0 while waiting; the page shows 1.
    expect(ticketView({ ...waiting, position: 0n, estimatedWaitMs: -5n }, 0)).toEqual({
      kind: "waiting",
      position: 1,
      etaMs: 0,
    });
  });
  it("shows an admitted ticket's pass and its time left", () => {
    const admitted = { position: 0n, estimatedWaitMs: 0n, admitted: true, pass: "tsp1.a.b" };
    expect(ticketView({ ...admitted, passExpiresAtMs: 60_000 }, 15_000)).toEqual({
      kind: "admitted",
      pass: "tsp1.a.b",
      expiresAtMs: 60_000,
      leftMs: 45_000,
    });
  });
  it("says expired once the pass's time is up, or when there is no pass", () => {
    const admitted = { position: 0n, estimatedWaitMs: 0n, admitted: true, pass: "tsp1.a.b" };
    expect(ticketView({ ...admitted, passExpiresAtMs: 60_000 }, 60_000).kind).toBe("expired");
    expect(ticketView({ ...admitted, passExpiresAtMs: 60_000 }, 61_000).kind).toBe("expired");
    expect(ticketView({ ...admitted, pass: "", passExpiresAtMs: 60_000 }, 0).kind).toBe("expired");
    expect(ticketView(admitted, 0).kind).toBe("expired");
  });
});

describe("formatWait", () => {
  it("rounds the wait up, in seconds, minutes, then hours", () => {
    expect(formatWait(0)).toBe("any moment now");
    expect(formatWait(-1)).toBe("any moment now");
    expect(formatWait(Number.NaN)).toBe("any moment now");
    expect(formatWait(1)).toBe("about 1 s");
    expect(formatWait(7_200)).toBe("about 8 s");
    expect(formatWait(59_000)).toBe("about 59 s");
    expect(formatWait(60_000)).toBe("about 1 min");
    expect(formatWait(61_000)).toBe("about 2 min");
    expect(formatWait(59 * 60_000)).toBe("about 59 min");
    expect(formatWait(3_600_000)).toBe("about 1 h");
    expect(formatWait(3_600_000 + 4 * 60_000 + 1)).toBe("about 1 h 5 min");
  });
  it("puts the place and the wait in a sentence", () => {
    expect(waitingText(1, 2_000)).toBe("You are next in line. Estimated wait: about 2 s.");
    expect(waitingText(3, 0)).toBe("You are number 3 in line. Estimated wait: any moment now.");
  });
});

describe("polling", () => {
  it("asks more often near the head of the line, within bounds", () => {
    expect(pollDelayMs(1_001)).toBe(MIN_POLL_MS);
    expect(pollDelayMs(3_000)).toBe(750);
    expect(pollDelayMs(8_000)).toBe(2_000);
    expect(pollDelayMs(600_000)).toBe(MAX_POLL_MS);
  });
  it("asks just after an admission due within a second", () => {
    expect(pollDelayMs(1_000)).toBe(1_050);
    expect(pollDelayMs(400)).toBe(450);
    expect(pollDelayMs(0)).toBe(200);
  });
  it("backs off exponentially with jitter, or as the server says", () => {
    expect(backoffMs(1, undefined, 0.5)).toBe(1_000);
    expect(backoffMs(2, undefined, 0.5)).toBe(2_000);
    expect(backoffMs(3, undefined, 0)).toBe(3_000);
    expect(backoffMs(3, undefined, 0.999)).toBeLessThanOrEqual(5_000);
    expect(backoffMs(30, undefined, 0.5)).toBe(15_000);
    expect(backoffMs(1, 4_000, 0.9)).toBe(4_000);
    expect(backoffMs(1, 10, 0.9)).toBe(MIN_POLL_MS);
  });
});

describe("describeQueueRefusal", () => {
  it("tells the NOT_ADMITTED cases apart", () => {
    const refusal = (why?: string) => ({
      code: 9,
      reason: "NOT_ADMITTED",
      metadata: why ? { product: "sku:x", why } : undefined,
    });
    expect(describeQueueRefusal(refusal("EXPIRED"))).toBe(
      "Your pass has expired: join the waiting room again.",
    );
    expect(describeQueueRefusal(refusal("NO_PASS"))).toMatch(/^Not admitted yet/);
    expect(describeQueueRefusal(refusal("MISMATCH"))).toMatch(/another product or buyer/);
    expect(describeQueueRefusal(refusal("NOT_ADMITTED"))).toMatch(/no longer valid/);
    expect(describeQueueRefusal(refusal())).toMatch(/^Not admitted yet/);
    expect(describeQueueRefusal(refusal("SOMETHING_NEW"))).toMatch(/^Not admitted yet/);
  });
  it("says the queue is full and when to try again", () => {
    expect(describeQueueRefusal({ code: 8, reason: "QUEUE_FULL", retryMs: 2_500 })).toBe(
      "The waiting room is full: too many buyers are waiting. Try again in 3 s.",
    );
    expect(describeQueueRefusal({ code: 8, reason: "QUEUE_FULL" })).toBe(
      "The waiting room is full: too many buyers are waiting. Try again in a moment.",
    );
  });
  it("names the other refusals of a flash sale", () => {
    expect(describeQueueRefusal({ code: 9, reason: "SOLD_OUT" })).toMatch(/^Sold out/);
    expect(describeQueueRefusal({ code: 9, reason: "INSUFFICIENT_FUNDS" })).toMatch(
      /^Insufficient funds/,
    );
    expect(describeQueueRefusal({ code: 8, reason: "RATE_LIMITED", retryMs: 1_200 })).toBe(
      "Too many requests. Try again in 2 s.",
    );
    expect(describeQueueRefusal({ code: 14, reason: "WAITING_ROOM_OFF" })).toBe(
      "This server runs no waiting room.",
    );
    expect(describeQueueRefusal({ code: 3, reason: "BAD_PRODUCT" })).toMatch(/not a valid/);
    expect(describeQueueRefusal({ code: 5, reason: "NOT_IN_QUEUE" })).toMatch(/join again/);
  });
});
