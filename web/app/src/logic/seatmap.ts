// A seat map's state for the page: the flat, ordered seat list of
// Seat.GetSeatMap grouped into sections and rows, the buyer's selection kept
// consistent with each refresh (a seat that stopped being available leaves
// the selection), and counts per state.

export type SeatStateName = "available" | "held" | "sold" | "unknown";

export interface SeatView {
  seatId: string;
  section: string;
  row: number;
  number: number;
  state: SeatStateName;
  priceMinor: bigint;
  currency: string;
}

export interface RowView {
  row: number;
  seats: SeatView[];
}

export interface SectionView {
  name: string;
  /** The section's price if all its seats cost the same, else the lowest. */
  priceMinor: bigint;
  currency: string;
  rows: RowView[];
}

/** seat.proto SeatState numbers to names. */
export function seatStateName(state: number): SeatStateName {
  return state === 1 ? "available" : state === 2 ? "held" : state === 3 ? "sold" : "unknown";
}

/** Sections in first-seen order, rows by number, seats by number. */
export function groupSeats(seats: SeatView[]): SectionView[] {
  const sections = new Map<string, Map<number, SeatView[]>>();
  for (const seat of seats) {
    let rows = sections.get(seat.section);
    if (!rows) sections.set(seat.section, (rows = new Map()));
    let row = rows.get(seat.row);
    if (!row) rows.set(seat.row, (row = []));
    row.push(seat);
  }
  return [...sections].map(([name, rows]) => {
    const all = [...rows.values()].flat();
    return {
      name,
      priceMinor: all.reduce(
        (min, s) => (s.priceMinor < min ? s.priceMinor : min),
        all[0].priceMinor,
      ),
      currency: all[0].currency,
      rows: [...rows]
        .sort(([a], [b]) => a - b)
        .map(([row, list]) => ({ row, seats: [...list].sort((a, b) => a.number - b.number) })),
    };
  });
}

/**
 * The selection after a refresh: only seats that exist and are still
 * available stay; returns the kept ids and the ids dropped because they were
 * taken meanwhile.
 */
export function reconcileSelection(
  selected: readonly string[],
  seats: readonly SeatView[],
): { kept: string[]; dropped: string[] } {
  const state = new Map(seats.map((seat) => [seat.seatId, seat.state]));
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const id of selected) (state.get(id) === "available" ? kept : dropped).push(id);
  return { kept, dropped };
}

/** Toggles `seatId` in the selection if it is available; at most `max` seats. */
export function toggleSeat(selected: readonly string[], seat: SeatView, max = 20): string[] {
  if (selected.includes(seat.seatId)) return selected.filter((id) => id !== seat.seatId);
  if (seat.state !== "available" || selected.length >= max) return [...selected];
  return [...selected, seat.seatId];
}

/** How many seats are in each state. */
export function countStates(seats: readonly SeatView[]): Record<SeatStateName, number> {
  const counts: Record<SeatStateName, number> = { available: 0, held: 0, sold: 0, unknown: 0 };
  for (const seat of seats) counts[seat.state]++;
  return counts;
}

/** The total price of the selected seats (minor units). */
export function selectionTotal(selected: readonly string[], seats: readonly SeatView[]): bigint {
  const price = new Map(seats.map((seat) => [seat.seatId, seat.priceMinor]));
  return selected.reduce((sum, id) => sum + (price.get(id) ?? 0n), 0n);
}
