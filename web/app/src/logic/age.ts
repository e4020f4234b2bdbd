// Ages and times in words for the operator console: "45 s", "3 min 5 s",
// "2 h 10 min", "3 d 4 h" (the two largest units), and times relative to
// now ("in 9 min 12 s", "12 s ago", "now").

const UNITS: Array<[string, number]> = [
  ["d", 86_400],
  ["h", 3_600],
  ["min", 60],
  ["s", 1],
];

/** A duration in seconds as its two largest units, e.g. "3 min 5 s"; "0 s" for none. */
export function formatAge(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const first = UNITS.findIndex(([, size]) => total >= size);
  if (first < 0) return "0 s";
  const [unit, size] = UNITS[first];
  const parts = [`${Math.floor(total / size)} ${unit}`];
  const next = UNITS[first + 1];
  if (next) {
    const more = Math.floor((total % size) / next[1]);
    if (more > 0) parts.push(`${more} ${next[0]}`);
  }
  return parts.join(" ");
}

/** `atMs` relative to `nowMs`: "in 9 min 12 s", "12 s ago", or "now" within a second. */
export function formatRelative(atMs: number, nowMs: number): string {
  const delta = (atMs - nowMs) / 1000;
  if (Math.abs(delta) < 1) return "now";
  return delta > 0 ? `in ${formatAge(delta)}` : `${formatAge(-delta)} ago`;
}
