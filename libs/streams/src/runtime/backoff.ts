/** Exponential backoff with full jitter (so restarted replicas do not retry in lockstep). */
export function backoffMs(attempt: number, baseMs = 100, maxMs = 10_000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(Math.random() * cap);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
