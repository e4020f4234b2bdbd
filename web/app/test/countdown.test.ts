import { describe, expect, it } from "vitest";

import { countdownWords, formatCountdown, remainingMs } from "../src/logic/countdown.js";

describe("countdown", () => {
  it("counts down to zero and never below", () => {
    expect(remainingMs(10_000, 7_500)).toBe(2_500);
    expect(remainingMs(10_000, 12_000)).toBe(0);
  });
  it("formats m:ss and h:mm:ss, rounding up", () => {
    expect(formatCountdown(299_000)).toBe("4:59");
    expect(formatCountdown(3_000)).toBe("0:03");
    expect(formatCountdown(200)).toBe("0:01");
    expect(formatCountdown(0)).toBe("0:00");
    expect(formatCountdown(-5)).toBe("0:00");
    expect(formatCountdown(3_600_000)).toBe("1:00:00");
    expect(formatCountdown(3_661_000)).toBe("1:01:01");
  });
  it("says the time left in words", () => {
    expect(countdownWords(61_000)).toBe("1 minute 1 second left");
    expect(countdownWords(120_000)).toBe("2 minutes left");
    expect(countdownWords(0)).toBe("time is up");
  });
});
