import { DedupeFilter } from '../core/dedupe-filter';
import { restartDelayMs } from './backoff';
import { partitionLabels, StreamsMetrics } from './metrics';
import { LiveTask, ResolvedOptions } from './streams-app-options';
import { TaskRepository } from './task-repository';

/** Rows per page of a load: one index range scan each (about 2 MB of ids). */
const PAGE_ROWS = 20_000;

/**
 * Fills each opened task's dedupe filter from the ids its store holds, one task at a time (a load
 * holds one pool connection), page by page in the background. Until its load finishes a task looks
 * every id up, as without a filter. A failed page is logged, counted and retried after a capped,
 * jittered backoff, from the page after the last one read; the task waits out its backoff outside
 * the queue, so other tasks' loads go on meanwhile. A closed task's load stops. Also reports each
 * filter's spared lookups and a filter that outgrew its memory limit.
 */
export class DedupeFilterLoader {
  private queue: Promise<void> = Promise.resolve();
  /** Per task: the spared lookups already counted, and whether saturation was reported. */
  private readonly seen = new WeakMap<LiveTask, { spared: number; saturated: boolean }>();
  /** Per task being loaded: the last id read (null: none yet), the ids read, and failed attempts. */
  private readonly progress = new WeakMap<
    LiveTask,
    { after: string | null; ids: number; failures: number; started: number }
  >();

  constructor(
    private readonly o: Pick<ResolvedOptions, 'logger' | 'restartBackoff' | 'dedupeFilterMaxBytes'>,
    private readonly repo: Pick<TaskRepository, 'rememberedIdsPage'>,
    private readonly metrics: StreamsMetrics,
    private readonly appId: string,
  ) {}

  /** Queues the task's load (nothing without a filter). */
  load(live: LiveTask): void {
    const filter = live.task.dedupeFilter;
    if (!filter) return;
    this.seen.set(live, { spared: 0, saturated: false });
    this.progress.set(live, { after: null, ids: 0, failures: 0, started: Date.now() });
    this.enqueue(live, filter);
  }

  private enqueue(live: LiveTask, filter: DedupeFilter): void {
    this.queue = this.queue.then(() => this.run(live, filter));
  }

  /** After a batch: counts the lookups the filter spared and reports a saturated filter once. */
  observe(live: LiveTask): void {
    const filter = live.task.dedupeFilter;
    const seen = this.seen.get(live);
    if (!filter || !seen) return;
    const labels = this.labels(live);
    if (filter.spared > seen.spared) {
      this.metrics.dedupeLookupsSpared.inc(labels, filter.spared - seen.spared);
      seen.spared = filter.spared;
    }
    if (filter.status === 'saturated' && !seen.saturated) {
      seen.saturated = true;
      this.metrics.dedupeFilterSaturated.inc(labels);
      this.o.logger.warn(
        { ...labels, maxBytes: this.o.dedupeFilterMaxBytes },
        'dedupe filter saturated',
      );
    }
  }

  /** One attempt: reads the remaining pages; on failure schedules the next attempt after its backoff. */
  private async run(live: LiveTask, filter: DedupeFilter): Promise<void> {
    const labels = this.labels(live);
    const progress = this.progress.get(live)!;
    try {
      await this.fill(live, filter, progress);
      if (live.closed) return;
      filter.loaded();
      this.metrics.dedupeFilterLoads.inc({ processor: this.appId, result: 'loaded' });
      this.o.logger.info(
        {
          ...labels,
          ids: progress.ids,
          bytes: filter.bytes,
          status: filter.status,
          ms: Date.now() - progress.started,
        },
        'dedupe filter loaded',
      );
    } catch (err) {
      const attempt = ++progress.failures;
      const retryInMs = restartDelayMs(attempt, this.o.restartBackoff);
      this.metrics.dedupeFilterLoads.inc({ processor: this.appId, result: 'failed' });
      this.o.logger.warn(
        { ...labels, err: (err as Error).message, attempt, retryInMs },
        'dedupe filter load failed',
      );
      // Not awaited: the queue moves on to other tasks while this one waits.
      setTimeout(() => {
        if (!live.closed) this.enqueue(live, filter);
      }, retryInMs).unref();
    }
  }

  /** Adds the task's stored ids after `progress.after` to the filter, page by page. */
  private async fill(
    live: LiveTask,
    filter: DedupeFilter,
    progress: { after: string | null; ids: number },
  ): Promise<void> {
    while (!live.closed) {
      const page = await this.repo.rememberedIdsPage(live.id, progress.after, PAGE_ROWS);
      for (const [id, eventTime] of page) filter.add(id, eventTime);
      progress.ids += page.length;
      if (page.length < PAGE_ROWS) return;
      progress.after = page[page.length - 1][0];
    }
  }

  private labels(live: LiveTask) {
    return partitionLabels(this.appId, live.id);
  }
}
