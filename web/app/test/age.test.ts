import { describe, expect, it } from "vitest";

import { formatAge, formatRelative } from "../src/logic/age.js";

describe("formatAge", () => {
  it("shows the two largest units", () => {
    expect(formatAge(0)).toBe("0 s");
    expect(formatAge(0.9)).toBe("0 s");
    expect(formatAge(45)).toBe("45 s");
    expect(formatAge(60)).toBe("1 min");
    expect(formatAge(185)).toBe("3 min 5 s");
    expect(formatAge(2 * 3600 + 10 * 60 + 7)).toBe("2 h 10 min");
    expect(formatAge(3 * 86_400 + 4 * 3600 + 59)).toBe("3 d 4 h");
    expect(formatAge(86_400 + 30)).toBe("1 d");
  });
  it("never goes negative", () => {
    expect(formatAge(-5)).toBe("0 s");
  });
});

describe("formatRelative", () => {
  const now = 1_700_000_000_000;
  it("says in or ago", () => {
    expect(formatRelative(now + 552_000, now)).toBe("in 9 min 12 s");
    expect(formatRelative(now - 12_000, now)).toBe("12 s ago");
    expect(formatRelative(now + 400, now)).toBe("now");
    expect(formatRelative(now - 999, now)).toBe("now");
  });
});
