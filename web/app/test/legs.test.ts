import { describe, expect, it } from "vitest";

import {
  alightingStops,
  boardingStops,
  checkPassengers,
  clampTo,
  legsOf,
  matrixCell,
  tripsOverlap,
  validTrip,
} from "../src/logic/legs.js";

describe("legs", () => {
  it("a trip from i to j uses legs i..j-1", () => {
    expect(legsOf(2, 5)).toEqual([2, 3, 4]);
    expect(validTrip(2, 5, 10)).toBe(true);
    expect(validTrip(5, 5, 10)).toBe(false);
    expect(validTrip(5, 10, 10)).toBe(false);
  });
  it("stop 2 to 5 and stop 5 to 9 share no leg", () => {
    expect(tripsOverlap([2, 5], [5, 9])).toBe(false);
    expect(tripsOverlap([2, 5], [4, 9])).toBe(true);
  });
  it("offers boarding and alighting stops", () => {
    expect(boardingStops(4)).toEqual([0, 1, 2]);
    expect(alightingStops(1, 4)).toEqual([2, 3]);
    expect(clampTo(3, 2, 10)).toBe(4);
    expect(clampTo(3, 7, 10)).toBe(7);
  });
  it("reads a stop matrix", () => {
    const rows = [{ remaining: [0, 4, 3] }, { remaining: [0, 0, 5] }];
    expect(matrixCell(rows, 1, 2)).toBe(5);
    expect(matrixCell(rows, 5, 2)).toBeUndefined();
  });
  it("checks passengers' documents", () => {
    expect(checkPassengers(["P1", "P2"])).toBeUndefined();
    expect(checkPassengers(["P1", " P1 "])).toMatch(/different/);
    expect(checkPassengers(["P1", ""])).toMatch(/needs a document/);
    expect(checkPassengers(["a b"])).toMatch(/letters/);
    expect(checkPassengers([])).toMatch(/1 to 5/);
  });
});
