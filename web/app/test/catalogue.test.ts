import { describe, expect, it } from "vitest";

import {
  parseAmount,
  parseCount,
  parseMinuteOfDay,
  parsePackages,
  parseSections,
  parseStops,
  parseUtcDateTime,
} from "../src/logic/catalogue.js";
import { describeOperatorRefusal } from "../src/logic/opsreasons.js";

describe("catalogue form fields", () => {
  it("reads amounts as minor units", () => {
    expect(parseAmount("12.50")).toEqual({ value: 1250n });
    expect(parseAmount("12.5")).toEqual({ value: 1250n });
    expect(parseAmount("7")).toEqual({ value: 700n });
    expect(parseAmount("0.05")).toEqual({ value: 5n });
    expect(parseAmount("1,50")).toEqual({ error: "Price: a number like 12.50." });
    expect(parseAmount("-1", "Price per hour")).toEqual({
      error: "Price per hour: a number like 12.50.",
    });
  });
  it("reads counts and times of day", () => {
    expect(parseCount("20", "Seats", 1, 200)).toEqual({ value: 20 });
    expect(parseCount("0", "Seats", 1, 200)).toEqual({
      error: "Seats: a whole number from 1 to 200.",
    });
    expect(parseMinuteOfDay("10:00", "Opens")).toEqual({ value: 600 });
    expect(parseMinuteOfDay("24:00", "Opens")).toEqual({ error: "Opens: a time like 09:30." });
    expect(parseUtcDateTime("2026-12-24 20:00", "Starts at")).toEqual({
      value: Date.parse("2026-12-24T20:00:00Z"),
    });
    expect(parseUtcDateTime("tomorrow", "Starts at")).toHaveProperty("error");
  });
  it("reads seat sections a line each", () => {
    expect(parseSections("A 2x5 15.00\n\nB 1 x 4 9")).toEqual({
      value: [
        { name: "A", rows: 2, seatsPerRow: 5, priceMinorUnits: 1500n },
        { name: "B", rows: 1, seatsPerRow: 4, priceMinorUnits: 900n },
      ],
    });
    expect(parseSections("A 2x5")).toHaveProperty("error", expect.stringMatching(/line 1/));
    expect(parseSections("")).toHaveProperty("error");
  });
  it("reads packages by their hours", () => {
    expect(parsePackages("2h=5.00 4h=9")).toEqual({
      value: [
        { packageId: "2h", hours: 2, priceMinorUnits: 500n },
        { packageId: "4h", hours: 4, priceMinorUnits: 900n },
      ],
    });
    expect(parsePackages("2 hours")).toHaveProperty("error", expect.stringMatching(/“2”/));
  });
  it("reads stops in order, past midnight onto the next day", () => {
    const day = Date.parse("2026-12-24T00:00:00Z");
    expect(parseStops("North 23:30\nSouth Central 00:15", "2026-12-24")).toEqual({
      value: [
        { station: "North", departsAtMs: day + (23 * 60 + 30) * 60_000 },
        { station: "South Central", departsAtMs: day + 86_400_000 + 15 * 60_000 },
      ],
    });
    expect(parseStops("North 08:00", "2026-12-24")).toHaveProperty(
      "error",
      expect.stringMatching(/at least two/),
    );
    expect(parseStops("North 08:00\nSouth 09:00", "24.12.2026")).toHaveProperty("error");
  });
});

describe("describeOperatorRefusal", () => {
  it("names the console's refusals", () => {
    expect(describeOperatorRefusal({ code: 9, reason: "NOT_DELIVERING" }, "x")).toMatch(
      /^Only a transaction that is confirming or cancelling can be retried/,
    );
    expect(describeOperatorRefusal({ code: 6, reason: "SKU_EXISTS" }, "sku a exists")).toBe(
      "A product with this id already exists.",
    );
    expect(describeOperatorRefusal({ code: 7, reason: "ADMIN_REQUIRED" }, "")).toMatch(
      /sign in with the admin role/,
    );
  });
  it("adds the service's explanation to invalid input", () => {
    expect(
      describeOperatorRefusal(
        { code: 3, reason: "INVALID_ARGUMENT" },
        "stock must be 0..1000000000",
      ),
    ).toBe("Some of what you entered is not valid. The service says: stock must be 0..1000000000");
    // Not for server failures: those stay generic.
    expect(describeOperatorRefusal({ code: 13, reason: "" }, "pq: oops")).toBe(
      "Something went wrong on the server.",
    );
  });
});
