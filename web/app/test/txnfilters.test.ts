import { describe, expect, it } from "vitest";

import {
  NO_FILTERS,
  filtersFromForm,
  filtersFromQuery,
  filtersToQuery,
  listRequest,
  parseAge,
} from "../src/logic/txnfilters.js";

describe("filters and the route's query", () => {
  it("round-trips through the query string", () => {
    const filters = {
      state: "CONFIRMING" as const,
      participant: "payment",
      minAgeSeconds: 90,
      stuckOnly: true,
    };
    const query = filtersToQuery(filters);
    expect(query).toBe("state=CONFIRMING&participant=payment&age=90&stuck=1");
    expect(filtersFromQuery(new URLSearchParams(query))).toEqual(filters);
    expect(filtersToQuery(NO_FILTERS)).toBe("");
  });
  it("drops bad values from a hand-edited address", () => {
    expect(
      filtersFromQuery(new URLSearchParams("state=DONE&participant=Pay%20ment&age=-3&stuck=yes")),
    ).toEqual(NO_FILTERS);
    expect(filtersFromQuery(new URLSearchParams("state=cancelling")).state).toBe("CANCELLING");
  });
});

describe("filtersFromForm", () => {
  it("accepts the form's inputs", () => {
    expect(
      filtersFromForm({ state: "TRYING", participant: " Payment ", age: "5m", stuckOnly: false }),
    ).toEqual({ state: "TRYING", participant: "payment", minAgeSeconds: 300, stuckOnly: false });
    expect(filtersFromForm({ state: "", participant: "", age: "", stuckOnly: true })).toEqual({
      ...NO_FILTERS,
      stuckOnly: true,
    });
  });
  it("says what is wrong in words", () => {
    expect(filtersFromForm({ state: "DONE", participant: "", age: "", stuckOnly: false })).toEqual({
      error: "Unknown state “DONE”.",
    });
    expect(
      filtersFromForm({ state: "", participant: "pay ment", age: "", stuckOnly: false }),
    ).toHaveProperty("error", expect.stringMatching(/participant name/));
    expect(
      filtersFromForm({ state: "", participant: "", age: "ten", stuckOnly: false }),
    ).toHaveProperty("error", expect.stringMatching(/^Minimum age/));
  });
});

describe("parseAge", () => {
  it("reads seconds with an optional unit", () => {
    expect(parseAge("")).toBe(0);
    expect(parseAge("90")).toBe(90);
    expect(parseAge("90s")).toBe(90);
    expect(parseAge("5 min")).toBe(300);
    expect(parseAge("2h")).toBe(7200);
    expect(parseAge("1d")).toBe(86_400);
    expect(parseAge("1.5h")).toBeUndefined();
    expect(parseAge("-1")).toBeUndefined();
    expect(parseAge("999999999d")).toBeUndefined();
  });
});

describe("listRequest", () => {
  it("maps filters to ListTransactionsRequest fields", () => {
    expect(
      listRequest(
        { state: "CANCELLING", participant: "seat", minAgeSeconds: 60, stuckOnly: true },
        "0190-token",
        10,
      ),
    ).toEqual({
      state: 4,
      participant: "seat",
      minAgeSeconds: 60n,
      pageSize: 10,
      pageToken: "0190-token",
      stuckOnly: true,
    });
    expect(listRequest(NO_FILTERS)).toEqual({
      state: 0,
      participant: "",
      minAgeSeconds: 0n,
      pageSize: 25,
      pageToken: "",
      stuckOnly: false,
    });
  });
  it("uses the proto's state numbers", async () => {
    const { TxnState } = await import("../../src/gen/turnstile/v1/coordinator_pb.js");
    for (const name of ["TRYING", "CONFIRMING", "CONFIRMED", "CANCELLING", "CANCELLED"] as const) {
      expect(listRequest({ ...NO_FILTERS, state: name }).state).toBe(TxnState[name]);
    }
  });
});
