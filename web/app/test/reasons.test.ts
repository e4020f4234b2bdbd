import { describe, expect, it } from "vitest";

import { describeRefusal, formatRetry } from "../src/logic/reasons.js";

describe("describeRefusal", () => {
  it("names the refusals a buyer meets", () => {
    expect(describeRefusal({ code: 9, reason: "SOLD_OUT" })).toMatch(/^Sold out/);
    expect(describeRefusal({ code: 9, reason: "SEAT_TAKEN" })).toMatch(/^Seat taken/);
    expect(describeRefusal({ code: 9, reason: "SLOT_TAKEN" })).toMatch(/time is taken/);
    expect(describeRefusal({ code: 9, reason: "INSUFFICIENT_FUNDS" })).toMatch(
      /^Insufficient funds/,
    );
    expect(describeRefusal({ code: 9, reason: "NOT_ADMITTED" })).toMatch(/waiting room/);
  });
  it("says which limit and its size", () => {
    expect(
      describeRefusal({
        code: 9,
        reason: "USER_LIMIT",
        metadata: { quota: "user-run", limit: "4" },
      }),
    ).toBe("Limit reached: this would pass the most one may book per buyer and train (4).");
    expect(describeRefusal({ code: 9, reason: "USER_LIMIT" })).toMatch(/^Limit reached/);
  });
  it("adds the retry time of RetryInfo", () => {
    expect(describeRefusal({ code: 8, reason: "RATE_LIMITED", retryMs: 2_300 })).toBe(
      "Too many requests. Try again in 3 s.",
    );
    expect(describeRefusal({ code: 14, reason: "REDIS_UNAVAILABLE" })).toBe(
      "The service is briefly unavailable. Try again in a moment.",
    );
  });
  it("falls back to the code's meaning, never the raw status", () => {
    expect(describeRefusal({ code: 5, reason: "SOMETHING_NEW" })).toBe("Not found.");
    expect(describeRefusal({ code: 16, reason: "" })).toBe("Please sign in.");
    expect(describeRefusal({ code: 99, reason: "" })).toBe("Something went wrong.");
  });
});

describe("formatRetry", () => {
  it("rounds up to whole seconds and minutes", () => {
    expect(formatRetry(1)).toBe("1 s");
    expect(formatRetry(59_500)).toBe("1 min");
    expect(formatRetry(65_000)).toBe("1 min 5 s");
  });
});
