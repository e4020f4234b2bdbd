// The payment countdown of a reserved order: time left until expires_at, as
// "m:ss" (or "h:mm:ss"), never below zero.

/** Milliseconds from `nowMs` until `expiresAtMs`, at least 0. */
export function remainingMs(expiresAtMs: number, nowMs: number): number {
  return Math.max(0, expiresAtMs - nowMs);
}

/**
 * "4:59", "0:03", "1:00:00". Rounds up, so "0:00" shows only once the time
 * is really over (a second of 0.2 s left still reads "0:01").
 */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${ss}` : `${minutes}:${ss}`;
}

/** The spoken form for screen readers: "4 minutes 59 seconds left". */
export function countdownWords(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total === 0) return "time is up";
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  const parts = [];
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  if (seconds) parts.push(`${seconds} second${seconds === 1 ? "" : "s"}`);
  return `${parts.join(" ")} left`;
}
