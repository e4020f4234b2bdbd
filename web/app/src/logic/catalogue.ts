// The catalogue forms' text fields turned into request values, or a
// sentence saying what to fix: amounts ("12.50" -> 1250 minor units),
// times of day ("10:00" -> minute 600), seat sections ("A 2x5 15.00" a
// line), net-cafe packages ("2h=5.00 4h=9.00") and train stops
// ("Station 0 08:00" a line, times in UTC on the service date). The
// services check everything again; these catch typing slips early.

export type Parsed<T> = { value: T } | { error: string };

/** "12.50" / "12" / "0.5" as minor units of a 2-digit currency. */
export function parseAmount(text: string, what = "Price"): Parsed<bigint> {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return { error: `${what}: a number like 12.50.` };
  return { value: BigInt(m[1]) * 100n + BigInt((m[2] ?? "").padEnd(2, "0")) };
}

/** A whole number in [min, max]. */
export function parseCount(text: string, what: string, min: number, max: number): Parsed<number> {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < min || n > max) {
    return { error: `${what}: a whole number from ${min} to ${max}.` };
  }
  return { value: n };
}

/** "HH:MM" as the minute of the day. */
export function parseMinuteOfDay(text: string, what: string): Parsed<number> {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return { error: `${what}: a time like 09:30.` };
  return { value: Number(m[1]) * 60 + Number(m[2]) };
}

export interface SectionFields {
  name: string;
  rows: number;
  seatsPerRow: number;
  priceMinorUnits: bigint;
}

/** One section a line: "<name> <rows>x<seats per row> <price>". */
export function parseSections(text: string): Parsed<SectionFields[]> {
  const out: SectionFields[] = [];
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const m = /^([A-Za-z0-9]{1,16})\s+(\d{1,3})\s*x\s*(\d{1,3})\s+(\S+)$/.exec(line);
    const price = m ? parseAmount(m[4]) : undefined;
    if (!m || !price || "error" in price) {
      return {
        error: `Sections, line ${i + 1}: write e.g. “A 2x5 15.00” (name, rows x seats, price).`,
      };
    }
    out.push({
      name: m[1],
      rows: Number(m[2]),
      seatsPerRow: Number(m[3]),
      priceMinorUnits: price.value,
    });
  }
  if (!out.length) return { error: "Sections: at least one line, e.g. “A 2x5 15.00”." };
  return { value: out };
}

export interface PackageFields {
  packageId: string;
  hours: number;
  priceMinorUnits: bigint;
}

/** "2h=5.00 4h=9.00": packages named by their hours. */
export function parsePackages(text: string): Parsed<PackageFields[]> {
  const out: PackageFields[] = [];
  for (const word of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d{1,2})h=(\S+)$/.exec(word);
    const price = m ? parseAmount(m[2]) : undefined;
    if (!m || !price || "error" in price || Number(m[1]) < 1) {
      return { error: `Packages: write e.g. “2h=5.00 4h=9.00” (hours=price); “${word}” is not.` };
    }
    out.push({ packageId: `${m[1]}h`, hours: Number(m[1]), priceMinorUnits: price.value });
  }
  return { value: out };
}

export interface StopFields {
  station: string;
  departsAtMs: number;
}

/** One stop a line: "<station name> HH:MM" (UTC on `serviceDate`, later stops later). */
export function parseStops(text: string, serviceDate: string): Parsed<StopFields[]> {
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(serviceDate) ||
    Number.isNaN(Date.parse(`${serviceDate}T00:00:00Z`))
  ) {
    return { error: "Service date: a date like 2026-12-24." };
  }
  const day = Date.parse(`${serviceDate}T00:00:00Z`);
  const out: StopFields[] = [];
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const m = /^(.+?)\s+(\d{1,2}:\d{2})$/.exec(line);
    const minute = m ? parseMinuteOfDay(m[2], "time") : undefined;
    if (!m || !minute || "error" in minute) {
      return {
        error: `Stops, line ${i + 1}: write e.g. “Central 08:00” (station, departure time).`,
      };
    }
    let at = day + minute.value * 60_000;
    // Past midnight: a time earlier than the previous stop's is the next day.
    while (out.length && at <= out[out.length - 1].departsAtMs) at += 86_400_000;
    out.push({ station: m[1], departsAtMs: at });
  }
  if (out.length < 2) return { error: "Stops: at least two lines, one per stop." };
  return { value: out };
}

/** "2026-12-24 20:00" (or with a T) in UTC, as epoch milliseconds. */
export function parseUtcDateTime(text: string, what: string): Parsed<number> {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})$/.exec(text.trim());
  const ms = m ? Date.parse(`${m[1]}T${m[2]}:00Z`) : NaN;
  if (Number.isNaN(ms)) return { error: `${what}: a UTC date and time like 2026-12-24 20:00.` };
  return { value: ms };
}
