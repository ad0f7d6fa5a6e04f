import { QuarantinedRecord } from '../core/task';
import { restartDelayMs, RestartBackoffOptions } from './backoff';
import { Failure, failureSignature } from './failure';
import { StreamsLogger } from './logger';
import { StreamsMetrics } from './metrics';

/** Where in a task's life a failure happened. */
export type FailureStage = 'process' | 'dedupe' | 'commit' | 'publish' | 'punctuate' | 'restore';

/** The offsets a failed commit covered: [from, to), and how many records it held. */
export interface CommitRange {
  from: string | null;
  to: string | null;
  records: number;
}

/** What the supervisor remembers of one task across its rebuilds. */
interface TaskHealth {
  /** Consecutive failures since the last commit that moved the offset. */
  attempts: number;
  /** Wall-clock ms before which the task is not rebuilt. */
  notBefore: number;
  /** How to rebuild: reload our own state, or claim the task anew (after a fence). */
  reopen: 'reload' | 'claim';
  /** The last commit refused for its data: where it started and how it failed. */
  lastDataFailure?: { from: string | null; signature: string };
  /** While set, records up to this offset are committed one at a time (isolation). */
  isolateUpTo: bigint | null;
  /** Records found by isolation: dead-lettered instead of processed. */
  quarantined: Map<string, QuarantinedRecord>;
}

/**
 * Decides what happens after a task fails (SPEC §9): capped exponential backoff with jitter
 * before the rebuild, and for a commit Postgres refused for its data twice in the same way,
 * isolation: the records are committed one by one until the refused one is found, which is then
 * dead-lettered with the database's reason. Every failure is logged and counted.
 */
export class TaskSupervisor {
  private readonly health = new Map<string, TaskHealth>();

  constructor(
    private readonly o: {
      processor: string;
      metrics: StreamsMetrics;
      logger: StreamsLogger;
      backoff: RestartBackoffOptions;
      clock: () => number;
    },
  ) {}

  private of(key: string): TaskHealth {
    let h = this.health.get(key);
    if (!h)
      this.health.set(
        key,
        (h = {
          attempts: 0,
          notBefore: 0,
          reopen: 'claim',
          isolateUpTo: null,
          quarantined: new Map(),
        }),
      );
    return h;
  }

  /** Milliseconds until the task may be rebuilt (0: now). */
  waitMs(key: string): number {
    return Math.max(0, (this.health.get(key)?.notBefore ?? 0) - this.o.clock());
  }

  reopenMode(key: string): 'reload' | 'claim' {
    return this.health.get(key)?.reopen ?? 'claim';
  }

  quarantined(key: string): Map<string, QuarantinedRecord> {
    return this.of(key).quarantined;
  }

  isolateUpTo(key: string): bigint | null {
    return this.health.get(key)?.isolateUpTo ?? null;
  }

  /** Isolation reached its end: back to batched commits. */
  isolationDone(key: string, ctx: object): void {
    const h = this.of(key);
    if (h.isolateUpTo === null) return;
    this.o.logger.info(
      { ...ctx, isolatedUpTo: h.isolateUpTo.toString(), quarantined: [...h.quarantined.keys()] },
      'isolation finished',
    );
    h.isolateUpTo = null;
    h.lastDataFailure = undefined;
  }

  /** A commit landed: the task is healthy again. */
  committed(key: string, nextOffset: string | null): void {
    const h = this.health.get(key);
    if (!h) return;
    h.attempts = 0;
    h.reopen = 'reload';
    if (nextOffset !== null)
      for (const offset of h.quarantined.keys())
        if (BigInt(offset) < BigInt(nextOffset)) h.quarantined.delete(offset);
  }

  /** The task was opened: from now on a failure reloads it (unless fenced). */
  opened(key: string, rebuilt: boolean, ctx: object): void {
    const h = this.of(key);
    h.reopen = 'reload';
    if (!rebuilt) return;
    this.o.metrics.taskRestarts.inc({ processor: this.o.processor });
    this.o.logger.info({ ...ctx, attempt: h.attempts }, 'task rebuilt');
  }

  /** The partition left this instance: forget its history (a new owner starts afresh). */
  forget(key: string): void {
    this.health.delete(key);
  }

  /** Records a failure and schedules the rebuild. `range`: for commit failures, what the commit covered. */
  failed(
    key: string,
    stage: FailureStage,
    failure: Failure,
    ctx: object,
    range?: CommitRange,
  ): void {
    const h = this.of(key);
    this.o.metrics.taskFailures.inc({
      processor: this.o.processor,
      reason: `${stage}_${failure.kind}`,
    });
    h.reopen = failure.kind === 'fenced' ? 'claim' : 'reload';
    const isolating =
      stage === 'commit' && failure.kind === 'data' && range
        ? this.isolate(h, failure, range, ctx)
        : false;
    if (!isolating) h.attempts++;
    const delay = isolating ? 0 : restartDelayMs(h.attempts, this.o.backoff);
    h.notBefore = this.o.clock() + delay;
    const expected = failure.kind === 'fenced' || failure.kind === 'watermark_floor';
    this.o.logger[expected ? 'warn' : 'error'](
      {
        ...ctx,
        stage,
        reason: failure.kind,
        code: failure.code,
        err: failure.message,
        attempt: h.attempts,
        retryInMs: delay,
        ...(range ?? {}),
      },
      'task failed',
    );
  }

  /** True when the failure moves isolation forward (no backoff needed: the next attempt makes progress). */
  private isolate(h: TaskHealth, failure: Failure, range: CommitRange, ctx: object): boolean {
    const signature = failureSignature(failure);
    if (h.isolateUpTo !== null && range.records === 1 && range.to !== null) {
      const offset = (BigInt(range.to) - 1n).toString();
      h.quarantined.set(offset, {
        reason: 'storage_rejected',
        message: `${failure.message} (${failure.code})`,
      });
      this.o.logger.warn(
        { ...ctx, offset, code: failure.code, err: failure.message },
        'record isolated',
      );
      return true;
    }
    if (
      h.isolateUpTo === null &&
      range.to !== null &&
      h.lastDataFailure?.from === range.from &&
      h.lastDataFailure.signature === signature
    ) {
      h.isolateUpTo = BigInt(range.to) - 1n;
      this.o.logger.warn(
        { ...ctx, from: range.from, upTo: h.isolateUpTo.toString(), code: failure.code },
        'commit refused twice, isolating records',
      );
      return true;
    }
    h.lastDataFailure = { from: range.from, signature };
    return false;
  }
}
