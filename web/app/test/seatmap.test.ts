import { describe, expect, it } from "vitest";

import {
  countStates,
  groupSeats,
  reconcileSelection,
  seatStateName,
  selectionTotal,
  toggleSeat,
  type SeatStateName,
  type SeatView,
} from "../src/logic/seatmap.js";

function seat(id: string, state: SeatStateName = "available", price = 100n): SeatView {
  const [section, row, number] = id.split("-");
  return {
    seatId: id,
    section,
    row: Number(row),
    number: Number(number),
    state,
    priceMinor: price,
    currency: "EUR",
  };
}

describe("seat map", () => {
  it("maps the proto's states", () => {
    expect([0, 1, 2, 3].map(seatStateName)).toEqual(["unknown", "available", "held", "sold"]);
  });
  it("groups sections in order, rows and seats by number", () => {
    const sections = groupSeats([
      seat("B-1-1", "available", 50n),
      seat("A-2-2"),
      seat("A-1-2"),
      seat("A-1-1", "available", 80n),
      seat("A-2-1"),
    ]);
    expect(sections.map((s) => s.name)).toEqual(["B", "A"]);
    expect(sections[1].priceMinor).toBe(80n);
    expect(sections[1].rows.map((r) => r.row)).toEqual([1, 2]);
    expect(sections[1].rows[0].seats.map((s) => s.seatId)).toEqual(["A-1-1", "A-1-2"]);
  });
  it("drops seats from the selection once someone else holds them", () => {
    const seats = [seat("A-1-1", "held"), seat("A-1-2"), seat("A-1-3", "sold")];
    expect(reconcileSelection(["A-1-1", "A-1-2", "A-1-3", "Z-9-9"], seats)).toEqual({
      kept: ["A-1-2"],
      dropped: ["A-1-1", "A-1-3", "Z-9-9"],
    });
  });
  it("toggles only available seats, at most max", () => {
    expect(toggleSeat([], seat("A-1-1"))).toEqual(["A-1-1"]);
    expect(toggleSeat(["A-1-1"], seat("A-1-1"))).toEqual([]);
    expect(toggleSeat([], seat("A-1-1", "sold"))).toEqual([]);
    expect(toggleSeat(["A-1-1"], seat("A-1-2"), 1)).toEqual(["A-1-1"]);
  });
  it("counts states and prices the selection", () => {
    const seats = [seat("A-1-1", "held"), seat("A-1-2", "available", 250n), seat("A-1-3")];
    expect(countStates(seats)).toEqual({ available: 2, held: 1, sold: 0, unknown: 0 });
    expect(selectionTotal(["A-1-2", "A-1-3"], seats)).toBe(350n);
  });
});
