// Train trips over a run's stops (booking.proto): stops 0..n-1, leg k runs
// from stop k to stop k + 1, a trip from i to j (i < j) uses legs i..j-1.
// Choices the train page offers and the reading of a stop matrix.

/** Whether from -> to is a trip of a run with `stopCount` stops. */
export function validTrip(from: number, to: number, stopCount: number): boolean {
  return Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to < stopCount;
}

/** The legs a trip uses. */
export function legsOf(from: number, to: number): number[] {
  const legs = [];
  for (let leg = from; leg < to; leg++) legs.push(leg);
  return legs;
}

/** Whether two trips share a leg (and so compete for the same seat). */
export function tripsOverlap(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

/** Boarding stops: every stop but the last. */
export function boardingStops(stopCount: number): number[] {
  return Array.from({ length: Math.max(0, stopCount - 1) }, (_, i) => i);
}

/** Alighting stops after `from`. */
export function alightingStops(from: number, stopCount: number): number[] {
  const stops = [];
  for (let stop = from + 1; stop < stopCount; stop++) stops.push(stop);
  return stops;
}

/** `to` kept if it still comes after `from`, else the next stop. */
export function clampTo(from: number, to: number, stopCount: number): number {
  return to > from && to < stopCount ? to : Math.min(from + 1, stopCount - 1);
}

/** rows[from].remaining[to] of a stop matrix, or undefined. */
export function matrixCell(
  rows: ReadonlyArray<{ remaining: readonly number[] }>,
  from: number,
  to: number,
): number | undefined {
  return rows[from]?.remaining[to];
}

/**
 * Passenger document ids as typed: trimmed, one per passenger; returns the
 * problem in words if any is empty or repeated.
 */
export function checkPassengers(docIds: readonly string[]): string | undefined {
  const ids = docIds.map((id) => id.trim());
  if (ids.length < 1 || ids.length > 5) return "A booking has 1 to 5 passengers.";
  if (ids.some((id) => id === "")) return "Every passenger needs a document id.";
  if (ids.some((id) => !/^[A-Za-z0-9_.@-]{1,64}$/.test(id)))
    return "Document ids are 1-64 letters, digits or _ . @ -.";
  if (new Set(ids).size !== ids.length) return "Each passenger needs a different document.";
  return undefined;
}
