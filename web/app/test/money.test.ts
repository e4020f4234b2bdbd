import { describe, expect, it } from "vitest";

import { formatMoney, sumMoney } from "../src/logic/money.js";

describe("formatMoney", () => {
  it("writes minor units with the currency's digits", () => {
    expect(formatMoney({ currency: "EUR", minorUnits: 1250n })).toBe("€12.50");
    expect(formatMoney({ currency: "EUR", minorUnits: 5n })).toBe("€0.05");
    expect(formatMoney({ currency: "JPY", minorUnits: 1250n })).toBe("¥1,250");
    expect(formatMoney({ currency: "USD", minorUnits: 123456789n })).toBe("$1,234,567.89");
  });
  it("keeps every digit of amounts beyond a float's precision", () => {
    expect(formatMoney({ currency: "EUR", minorUnits: 9007199254740993n })).toBe(
      "€90,071,992,547,409.93",
    );
  });
  it("shows a dash for no money and survives an unknown currency code", () => {
    expect(formatMoney(undefined)).toBe("—");
    expect(formatMoney({ currency: "", minorUnits: 1n })).toBe("—");
    expect(formatMoney({ currency: "X1", minorUnits: 150n })).toBe("1.50 X1");
  });
});

describe("sumMoney", () => {
  it("adds one currency and refuses mixed ones", () => {
    expect(
      sumMoney([
        { currency: "EUR", minorUnits: 100n },
        { currency: "EUR", minorUnits: 250n },
      ]),
    ).toEqual({ currency: "EUR", minorUnits: 350n });
    expect(
      sumMoney([
        { currency: "EUR", minorUnits: 100n },
        { currency: "USD", minorUnits: 1n },
      ]),
    ).toBeUndefined();
    expect(sumMoney([])).toBeUndefined();
  });
});
