// The net-cafe slot grid of a venue-day (booking.proto "Times"): the day
// opens at opening_minute local time and is cut into slots of slot_minutes
// up to the closing (past midnight when closing <= opening). Converts a
// local wall-clock time of the venue's IANA zone to an instant with Intl
// (no time-zone library), and shows instants as venue-local times.

export interface VenueClock {
  timeZone: string;
  openingMinute: number;
  closingMinute: number;
  slotMinutes: number;
}

/** Minutes from opening to closing (1440 when open round the clock). */
export function dayMinutes(clock: VenueClock): number {
  const span = clock.closingMinute - clock.openingMinute;
  return span > 0 ? span : span + 1440;
}

/** Slots of a venue-day. */
export function slotCount(clock: VenueClock): number {
  return Math.floor(dayMinutes(clock) / clock.slotMinutes);
}

/** Offset of `timeZone` from UTC at instant `ms`, in minutes. */
export function zoneOffsetMinutes(timeZone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 60000);
}

/** The instant of local date `day` ("YYYY-MM-DD") + `minute` (may pass 1440) in `timeZone`. */
export function zonedInstant(day: string, minute: number, timeZone: string): number {
  const [y, m, d] = day.split("-").map(Number);
  const wall = Date.UTC(y, m - 1, d, 0, minute);
  // Two rounds settle the offset except inside a DST gap.
  let ms = wall - zoneOffsetMinutes(timeZone, wall) * 60000;
  ms = wall - zoneOffsetMinutes(timeZone, ms) * 60000;
  return ms;
}

/** Start instant of slot `index` of venue-day `day`. */
export function slotStart(clock: VenueClock, day: string, index: number): number {
  return zonedInstant(day, clock.openingMinute + index * clock.slotMinutes, clock.timeZone);
}

/** Slot starts where a booking of `minutes` still ends by the closing. */
export function startSlots(clock: VenueClock, minutes: number): number[] {
  const last = (dayMinutes(clock) - minutes) / clock.slotMinutes;
  const out = [];
  for (let i = 0; i <= last; i++) out.push(i);
  return out;
}

/** "18:00": a slot's local start from the opening (no zone math needed). */
export function slotLabel(clock: VenueClock, index: number): string {
  const minute = (clock.openingMinute + index * clock.slotMinutes) % 1440;
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** An instant as venue-local "HH:MM". */
export function localTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(ms));
}

/** Today's date in `timeZone`, "YYYY-MM-DD". */
export function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date(ms));
}

/** Whether slot range [from, to) overlaps [otherFrom, otherTo). */
export function slotsOverlap(
  from: number,
  to: number,
  otherFrom: number,
  otherTo: number,
): boolean {
  return from < otherTo && otherFrom < to;
}
