// Prometheus text exposition scraped from the gateway and the backends, so
// that a test can show what was (and was not) counted.

/**
 * @typedef {{name: string, labels: Record<string, string>, value: number}} Sample
 */

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

/** @param {string} text @returns {Sample[]} */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL)) {
      labels[key] = value.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** @param {string} url @returns {Promise<Sample[]>} */
export async function scrape(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseMetrics(await response.text());
}

/**
 * Sum of the samples named `name` whose labels pass `filter`.
 * @param {Sample[]} samples
 * @param {string} name
 * @param {(labels: Record<string, string>) => boolean} [filter]
 */
export function total(samples, name, filter = () => true) {
  return samples
    .filter((s) => s.name === name && filter(s.labels))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Every backend's samples, by backend name. */
export async function scrapeAll(urls) {
  const entries = await Promise.all(
    Object.entries(urls).map(async ([name, url]) => [name, await scrape(url)]),
  );
  return Object.fromEntries(entries);
}

const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/**
 * Whether a `code` label names gRPC code `code`: the backends write the
 * number ("12"); a name ("UNIMPLEMENTED", any case) is accepted too.
 * @param {string | undefined} label
 * @param {number} code
 */
export function codeIs(label, code) {
  if (label === undefined) return false;
  return label === String(code) || label.toUpperCase().replace(/ /g, "_") === CODE_NAMES[code];
}
