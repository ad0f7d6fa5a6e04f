import { parseEventTime } from '@clickstream/contracts';
import type { Clock } from '../shared/clock';

/**
 * Wall-clock time (same unit and origin as `startMs`) at which an event of time `eventTimeMs` is
 * due when event time runs `speedup` times faster than the replay: start + (t − t0) / speedup.
 */
export function speedupDueAt(
  eventTimeMs: number,
  firstEventTimeMs: number,
  startMs: number,
  speedup: number,
): number {
  if (!(speedup > 0) || !Number.isFinite(speedup))
    throw new RangeError(`speedup must be a finite number > 0 (got ${speedup})`);
  return startMs + (eventTimeMs - firstEventTimeMs) / speedup;
}

/** How long to wait at `nowMs` before sending that event; 0 when it is due or overdue (older than t0 too). */
export function speedupDelayMs(
  eventTimeMs: number,
  firstEventTimeMs: number,
  startMs: number,
  nowMs: number,
  speedup: number,
): number {
  return Math.max(0, speedupDueAt(eventTimeMs, firstEventTimeMs, startMs, speedup) - nowMs);
}

/**
 * Paces events by event time. The first event with a usable time fixes t0 and the start; events
 * without one (they will be rejected anyway) and events older than t0 go at once.
 */
export class EventTimePacer {
  private firstEventTimeMs?: number;
  private startMs = 0;

  constructor(
    readonly speedup: number,
    private readonly clock: Clock,
  ) {
    speedupDueAt(0, 0, 0, speedup); // validates speedup
  }

  delayFor(eventTimeMs: number | undefined): number {
    if (eventTimeMs === undefined) return 0;
    const now = this.clock.now();
    if (this.firstEventTimeMs === undefined) {
      this.firstEventTimeMs = eventTimeMs;
      this.startMs = now;
    }
    return speedupDelayMs(eventTimeMs, this.firstEventTimeMs, this.startMs, now, this.speedup);
  }
}

/** Event time (epoch ms) of a not-yet-validated event, when it has a usable one. */
export function eventTimeOf(input: unknown): number | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  return parseEventTime((input as { event_time?: unknown }).event_time);
}

/**
 * Events per request under `--rate`: about a tenth of a second's worth (at least 1, at most
 * `batch`), so a slow rate sends small batches often instead of a big one now and then.
 */
export function batchSizeForRate(batch: number, rate: number | undefined): number {
  if (rate === undefined || !Number.isFinite(rate)) return batch;
  return Math.max(1, Math.min(batch, Math.floor(rate / 10)));
}
