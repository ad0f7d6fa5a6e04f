import { Clock, systemClock } from '../shared/clock';
import type { EventSink, SendResult } from '../shared/event-sink';
import { RateLimiter } from '../shared/rate-limiter';
import { EventTimePacer, batchSizeForRate, eventTimeOf } from './pacing';
import type { SourceItem } from './source';

/** Under --speedup, shorter waits are not worth a request of their own: the event goes early. */
const MIN_PACING_SLEEP_MS = 10;
/** Rejections listed one by one in the summary; the rest are only counted by field. */
const MAX_LISTED_ERRORS = 10;

export interface ReplayStats {
  /** Items taken from the file: events, and rows/lines rejected while reading. */
  read: number;
  /** accepted + rejected: everything with a final answer. */
  sent: number;
  accepted: number;
  /** Rejected by the sink, plus those rejected while reading. */
  rejected: number;
  /** Rows the CSV mapper rejected, lines that are not JSON: never sent, counted as rejected. */
  readRejected: number;
  requests: number;
  /** Issues by field, over all rejections. */
  issuesByField: Map<string, number>;
  /** The first few rejections, located in the file. */
  firstErrors: Array<{ where: string; field: string; message: string }>;
  startedAt: number;
  /** Milliseconds since start (final once run() resolves). */
  elapsedMs: number;
}

export interface ReplayOutcome {
  stats: ReplayStats;
  /** The sink or the file failed: the run stopped early. */
  error?: unknown;
  /** Stopped by the abort signal (Ctrl-C). */
  interrupted: boolean;
}

export interface ReplayConfig {
  items: AsyncIterable<SourceItem>;
  sink: EventSink;
  /** Events per request. */
  batch: number;
  /** Requests in flight at once (1 keeps the file's order). */
  concurrency?: number;
  /** Events per second, wall clock. */
  rate?: number;
  /** Pace by event time, this many times faster than it happened. */
  speedup?: number;
  limit?: number;
  clock?: Clock;
  /** Stops reading; what was read is still sent. */
  signal?: AbortSignal;
}

/** Stats of a replay that sent nothing (yet). */
export function emptyStats(startedAt = 0): ReplayStats {
  return {
    read: 0,
    sent: 0,
    accepted: 0,
    rejected: 0,
    readRejected: 0,
    requests: 0,
    issuesByField: new Map(),
    firstErrors: [],
    startedAt,
    elapsedMs: 0,
  };
}

/**
 * Reads items, batches the events, paces them (rate or event time) and sends them to the sink,
 * overlapping reading with sending. Never throws: a failure ends the run and is in the outcome,
 * with the counts of everything that did get an answer.
 */
export class Replay {
  readonly stats: ReplayStats;
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly limiter?: RateLimiter;
  private readonly pacer?: EventTimePacer;
  private readonly inFlight = new Set<Promise<void>>();
  private failure?: { error: unknown };

  constructor(private readonly config: ReplayConfig) {
    this.clock = config.clock ?? systemClock;
    this.batchSize = batchSizeForRate(config.batch, config.rate);
    this.concurrency = config.concurrency ?? 1;
    if (config.rate !== undefined)
      this.limiter = new RateLimiter(config.rate, { clock: this.clock });
    if (config.speedup !== undefined) this.pacer = new EventTimePacer(config.speedup, this.clock);
    this.stats = emptyStats(this.clock.now());
  }

  get elapsedMs(): number {
    return this.clock.now() - this.stats.startedAt;
  }

  async run(): Promise<ReplayOutcome> {
    const { signal, limit } = this.config;
    this.stats.startedAt = this.clock.now();
    let events: unknown[] = [];
    let wheres: string[] = [];
    const flush = async () => {
      if (events.length === 0) return;
      const batch = events;
      const batchWheres = wheres;
      events = [];
      wheres = [];
      await this.dispatch(batch, batchWheres);
    };
    try {
      for await (const item of this.config.items) {
        if (this.failure || signal?.aborted) break;
        if (limit !== undefined && this.stats.read >= limit) break;
        this.stats.read += 1;
        if (item.issue) {
          this.stats.readRejected += 1;
          this.stats.rejected += 1;
          this.stats.sent += 1;
          this.recordIssue(item.where, item.issue.field, item.issue.message);
          continue;
        }
        if (this.pacer) {
          const delay = this.pacer.delayFor(eventTimeOf(item.input));
          if (delay >= MIN_PACING_SLEEP_MS) {
            await flush(); // what is due goes now, not after the wait
            await this.clock.sleep(delay, signal); // cut short by Ctrl-C: a gap in event time can be long
          }
        }
        events.push(item.input);
        wheres.push(item.where);
        if (events.length >= this.batchSize) await flush();
      }
      if (!this.failure) await flush();
    } catch (error) {
      this.failure ??= { error };
    }
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.stats.elapsedMs = this.elapsedMs;
    return { stats: this.stats, error: this.failure?.error, interrupted: signal?.aborted ?? false };
  }

  /** Starts sending a batch once a slot is free and the rate allows; does not wait for the answer. */
  private async dispatch(events: unknown[], wheres: string[]): Promise<void> {
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) return;
    if (this.limiter) await this.limiter.take(events.length);
    this.stats.requests += 1;
    const sending: Promise<void> = this.config.sink.send(events).then(
      (result) => this.account(result, events.length, wheres),
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    const tracked = sending.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private account(result: SendResult, count: number, wheres: string[]): void {
    this.stats.accepted += result.accepted;
    this.stats.rejected += result.rejected;
    this.stats.sent += result.accepted + result.rejected;
    if (result.accepted + result.rejected !== count) {
      // The sink answered for a different number of events than it was given: say so, once.
      this.recordIssue(
        `request ${this.stats.requests}`,
        '(batch)',
        `sent ${count} events, answer covers ${result.accepted + result.rejected}`,
      );
    }
    for (const error of result.errors) {
      this.recordIssue(
        wheres[error.index] ?? `event ${error.index} of a batch`,
        error.field,
        error.message,
      );
    }
  }

  private recordIssue(where: string, field: string, message: string): void {
    this.stats.issuesByField.set(field, (this.stats.issuesByField.get(field) ?? 0) + 1);
    if (this.stats.firstErrors.length < MAX_LISTED_ERRORS)
      this.stats.firstErrors.push({ where, field, message });
  }
}
