import { describe, expect, it } from "vitest";

import {
  dayMinutes,
  localDate,
  localTime,
  slotCount,
  slotLabel,
  slotStart,
  slotsOverlap,
  startSlots,
  zonedInstant,
  type VenueClock,
} from "../src/logic/slots.js";

const night: VenueClock = {
  timeZone: "Asia/Shanghai",
  openingMinute: 18 * 60,
  closingMinute: 6 * 60,
  slotMinutes: 60,
};

describe("slot grid", () => {
  it("runs past midnight when closing <= opening", () => {
    expect(dayMinutes(night)).toBe(720);
    expect(slotCount(night)).toBe(12);
    expect(dayMinutes({ ...night, closingMinute: 18 * 60 })).toBe(1440);
  });
  it("labels slots in local time and offers starts a package fits after", () => {
    expect(slotLabel(night, 0)).toBe("18:00");
    expect(slotLabel(night, 7)).toBe("01:00");
    expect(startSlots(night, 4 * 60)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it("turns venue-local wall time into instants", () => {
    // Shanghai is UTC+8 all year.
    expect(new Date(zonedInstant("2026-12-24", 18 * 60, "Asia/Shanghai")).toISOString()).toBe(
      "2026-12-24T10:00:00.000Z",
    );
    // 01:00 on the 25th belongs to the venue-day of the 24th.
    expect(new Date(slotStart(night, "2026-12-24", 7)).toISOString()).toBe(
      "2026-12-24T17:00:00.000Z",
    );
    // Berlin: CET in winter, CEST in summer.
    expect(new Date(zonedInstant("2026-01-10", 600, "Europe/Berlin")).toISOString()).toBe(
      "2026-01-10T09:00:00.000Z",
    );
    expect(new Date(zonedInstant("2026-07-10", 600, "Europe/Berlin")).toISOString()).toBe(
      "2026-07-10T08:00:00.000Z",
    );
  });
  it("shows instants in the venue's zone", () => {
    const ms = Date.parse("2026-12-24T17:00:00Z");
    expect(localTime(ms, "Asia/Shanghai")).toBe("01:00");
    expect(localDate(ms, "Asia/Shanghai")).toBe("2026-12-25");
    expect(localDate(ms, "UTC")).toBe("2026-12-24");
  });
  it("overlap of half-open slot ranges", () => {
    expect(slotsOverlap(2, 4, 4, 6)).toBe(false);
    expect(slotsOverlap(2, 5, 4, 6)).toBe(true);
  });
});
