/** Exponential backoff with full jitter (so restarted replicas do not retry in lockstep). */
export function backoffMs(attempt: number, baseMs = 100, maxMs = 10_000): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(Math.random() * cap);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Restart delays: `initialMs` doubling per consecutive failure up to `maxMs` (Flink's exponential-delay restart strategy). */
export interface RestartBackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = { initialMs: 1000, maxMs: 60_000 };

/**
 * The delay before restart number `attempt` (1 = after the first failure): capped exponential with
 * "equal jitter", half fixed and half random, so a failing task never spins and replicas spread out.
 */
export function restartDelayMs(
  attempt: number,
  o: RestartBackoffOptions = DEFAULT_RESTART_BACKOFF,
  random = Math.random,
): number {
  const cap = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}
