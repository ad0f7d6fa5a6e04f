import { DedupeEntry, NO_HEADERS } from './dedupe';
import { DedupeFilter } from './dedupe-filter';
import { PoisonError } from './errors';
import { deadLetterValue, ErrorRecordSource, lateRecordValue } from './error-records';
import {
  deadLetterUndeserializable,
  DeserializationExceptionHandler,
  FailedRecordContext,
  ProcessingExceptionHandler,
  retryThenDeadLetter,
} from './exception-handlers';
import { Rec } from './processor';
import { RecordCollector } from './record-collector';
import { KeyValueStore } from './store';
import { SourceDedupe } from './source-dedupe';
import { StoreJournal } from './store-journal';
import { TaskGraph } from './task-graph';
import { SourceDefinition, Topology } from './topology';
import { PartitionWatermark } from './watermark';
import {
  DeadLetterNote,
  QuarantinedRecord,
  RawRecord,
  TaskCommit,
  TaskError,
  TaskOptions,
  TaskRestore,
} from './task-model';

export * from './task-model';
export type { OutboxMessage, TableWrite } from './record-collector';
export { PoisonError } from './errors';

/**
 * One partition of one source topic, as in Kafka Streams: its stores, watermark and processing.
 * It does no I/O; the runtime (or the test driver) feeds it records and commits what it returns.
 */
export class StreamTask {
  readonly stores = new Map<string, KeyValueStore>();
  private wm: PartitionWatermark;
  private readonly source: SourceDefinition;
  private readonly graph: TaskGraph;
  private readonly journal = new StoreJournal();
  private nextOffset: bigint | null;
  private readonly collector: RecordCollector;
  private readonly onUndeserializable: DeserializationExceptionHandler;
  private readonly onProcessingError: ProcessingExceptionHandler;
  private counts = { processed: 0, late: 0, deadLettered: 0, duplicates: 0 };
  private readonly dedupe: SourceDedupe | undefined;
  /** Values deserialised ahead of processing (dedupeLookups), so each record is parsed once. */
  private readonly decoded = new WeakMap<RawRecord, Decoded>();
  private deadLetters: DeadLetterNote[] = [];
  /** Offsets the runtime isolated (see quarantine). */
  private readonly quarantined = new Map<string, QuarantinedRecord>();
  private minAcceptedTime: number | null = null;

  constructor(
    readonly topology: Topology,
    readonly topic: string,
    readonly partition: number,
    private readonly options: TaskOptions,
    restore?: TaskRestore,
  ) {
    const source = topology.sources.get(topic);
    if (!source) throw new TaskError(`topic ${topic} is not a source of ${topology.applicationId}`);
    this.source = source.definition;
    this.dedupe = source.definition.dedupe
      ? new SourceDedupe(source.definition.dedupe, options.dedupeFilterMaxBytes)
      : undefined;
    for (const name of topology.stores)
      this.stores.set(name, this.journal.watch(new KeyValueStore(name)));
    for (const [name, entries] of restore?.stores ?? []) {
      const store = this.stores.get(name);
      if (!store) continue; // a store the topology no longer has
      for (const [k, v] of entries) store.restore(k, v);
    }
    const now = options.clock();
    this.wm = restore?.watermark
      ? new PartitionWatermark(options, {
          ...restore.watermark,
          lastInputAt: now,
          idleAdvancedTo: null,
        })
      : PartitionWatermark.fresh(options, now);
    this.nextOffset = restore?.nextOffset != null ? BigInt(restore.nextOffset) : null;
    this.collector = new RecordCollector(restore?.nextSeq ?? 0, { topic, partition });
    this.onUndeserializable = options.deserializationHandler ?? deadLetterUndeserializable;
    this.onProcessingError = options.processingHandler ?? retryThenDeadLetter(options.maxRetries);
    this.graph = new TaskGraph(source.children, {
      topic,
      partition,
      stores: this.stores,
      collector: this.collector,
      watermark: () => this.wm.current,
      now: () => options.clock(),
      onRollback: (undo) => this.journal.push(undo),
    });
  }

  get id(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** This partition's watermark. */
  get watermark(): PartitionWatermark {
    return this.wm;
  }

  /** The offset the consumer must resume from (null: from the beginning). */
  resumeOffset(): string | null {
    return this.nextOffset === null ? null : this.nextOffset.toString();
  }

  /**
   * Moves the resume offset past what the consumer skipped without handing it over: transaction
   * markers and aborted records. Otherwise a partition written transactionally (ingest does) would
   * always look one record behind its end, and lag would never reach 0.
   */
  skipTo(nextOffset: string): void {
    const n = BigInt(nextOffset);
    if (this.nextOffset === null || n > this.nextOffset) this.nextOffset = n;
  }

  /**
   * Marks the record at `offset` as one that cannot be stored or published (the runtime found it by
   * isolation): when it is consumed it is dead-lettered with `reason`, and nothing else happens.
   */
  quarantine(offset: string, record: QuarantinedRecord): void {
    this.quarantined.set(offset, record);
  }

  /** Processes consumed records in offset order. Records below the resume offset are skipped. */
  process(records: RawRecord[]): void {
    for (const raw of records) this.processOne(raw);
  }

  /**
   * The ids of `records` (not yet consumed) that the source's dedupe cannot answer from memory: the
   * runtime looks them up (one query per batch) and hands the answer to learnDuplicates before
   * process(). Deserialises each record once; process() reuses the value.
   */
  dedupeLookups(records: RawRecord[]): string[] {
    if (!this.dedupe) return [];
    const ids: string[] = [];
    // Offsets rise within a batch: only records before the task's position are skipped.
    let from = 0;
    while (
      from < records.length &&
      this.nextOffset !== null &&
      BigInt(records[from].offset) < this.nextOffset
    )
      from++;
    for (let i = from; i < records.length; i++) {
      const raw = records[i];
      const d = this.decode(raw);
      if (!('value' in d)) continue;
      const id = this.dedupe.idOf(d.value, raw.headers ?? NO_HEADERS);
      if (id !== null) ids.push(id);
    }
    return this.dedupe.unknown(ids);
  }

  /** The source dedupe's filter of stored ids, for the runtime to load; undefined without one. */
  get dedupeFilter(): DedupeFilter | undefined {
    return this.dedupe?.filter;
  }

  /** What the store of remembered ids holds for the ids dedupeLookups asked about. */
  learnDuplicates(entries: Iterable<[string, DedupeEntry]>): void {
    this.dedupe?.learn(entries);
  }

  private decode(raw: RawRecord): Decoded {
    const cached = this.decoded.get(raw);
    if (cached) return cached;
    let d: Decoded;
    if (raw.value === null)
      d = { error: new PoisonError('deserialization_failed', 'record has no value (tombstone)') };
    else {
      try {
        d = { value: this.source.valueSerde.deserialize(raw.value) };
      } catch (err) {
        d = { error: new PoisonError('deserialization_failed', (err as Error).message) };
      }
    }
    this.decoded.set(raw, d);
    return d;
  }

  private processOne(raw: RawRecord): void {
    const offset = BigInt(raw.offset);
    if (this.nextOffset !== null && offset < this.nextOffset) return;
    this.nextOffset = offset + 1n;
    const quarantined = this.quarantined.get(raw.offset);
    if (quarantined)
      return this.deadLetter(raw, new PoisonError(quarantined.reason, quarantined.message), 1);
    const decoded = this.decode(raw);
    this.decoded.delete(raw);
    if ('error' in decoded) {
      if (this.onUndeserializable.handle(this.failedRecord(raw), decoded.error) === 'fail') {
        throw new TaskError(`${this.id}@${raw.offset}: ${decoded.error.message}`, {
          cause: decoded.error,
        });
      }
      return this.deadLetter(raw, decoded.error, 1);
    }
    // The event time is read once for the dedupe and the attempts (a parse of a date string); an
    // extractor that throws is called again inside the attempt, where the error handler sees it.
    const timestamp = this.eventTimeOf(decoded.value);
    if (this.dedupe && !this.firstOccurrence(raw, decoded.value, timestamp)) return;
    for (let attempts = 1; ; attempts++) {
      try {
        this.attempt(raw, decoded.value, timestamp);
        return;
      } catch (err) {
        const action = this.onProcessingError.handle({ ...this.failedRecord(raw), attempts }, err);
        if (action === 'fail')
          throw new TaskError(`${this.id}@${raw.offset}: ${(err as Error).message}`, {
            cause: err,
          });
        if (action === 'dead_letter') return this.deadLetter(raw, err, attempts);
      }
    }
  }

  private failedRecord(raw: RawRecord): FailedRecordContext {
    return {
      processor: this.options.applicationId,
      topic: this.topic,
      partition: this.partition,
      offset: raw.offset,
    };
  }

  /** The dedupe's verdict: false when the record is a duplicate (counted) or a conflict (dead-lettered). */
  private firstOccurrence(raw: RawRecord, value: unknown, timestamp: number | undefined): boolean {
    const verdict = this.dedupe!.judge(
      value,
      raw.value!,
      raw.headers ?? NO_HEADERS,
      timestamp,
      this.wm.current,
    );
    if (verdict === 'first') return true;
    if (verdict === 'duplicate') this.counts.duplicates++;
    else this.deadLetter(raw, verdict, 1);
    return false;
  }

  private eventTimeOf(value: unknown): number | undefined {
    try {
      return this.source.timestamp(value);
    } catch {
      return undefined;
    }
  }

  private attempt(raw: RawRecord, value: unknown, known: number | undefined): void {
    const src = this.source;
    const key = raw.key === null ? null : src.keySerde.deserialize(raw.key);
    const timestamp = known ?? src.timestamp(value);
    if (!Number.isFinite(timestamp))
      throw new PoisonError(
        'invalid_timestamp',
        `event time is not a number (got ${String(timestamp)})`,
      );
    if (this.wm.isLate(timestamp)) {
      this.late(raw, value, timestamp);
      return;
    }
    // The record and what its watermark advance closes are one unit: a failure in either (e.g. a
    // sink of a window's final result) must not leave the record half-applied for the retry.
    this.atomically(() => {
      const rec: Rec = { key, value, timestamp };
      this.graph.process(rec);
      if (this.wm.observe(timestamp, this.options.clock())) this.closeUpToWatermark();
    });
    this.counts.processed++;
    if (this.minAcceptedTime === null || timestamp < this.minAcceptedTime)
      this.minAcceptedTime = timestamp;
  }

  /**
   * Runs `fn` with store writes journaled and results held back. On success the results are released;
   * on failure stores and watermark are put back as they were before `fn`, the nodes' in-memory
   * indexes (which may have moved) follow the keys put back (TaskGraph.restore), and the error is
   * rethrown.
   */
  private atomically(fn: () => void): void {
    const watermark = this.wm.snapshot();
    this.journal.begin();
    try {
      fn();
    } catch (err) {
      const restored = this.journal.rollback();
      this.collector.discard();
      this.wm = new PartitionWatermark(this.options, watermark);
      this.graph.restore(restored);
      throw err;
    }
    this.journal.commit();
    this.collector.release();
  }

  /** Lets stateful nodes close what the watermark passed; their results flow downstream. */
  private closeUpToWatermark(): void {
    const wm = this.wm.current;
    if (wm !== null) this.graph.closeUpTo(wm);
  }

  /**
   * Raises this partition's watermark to `floor` (the global watermark results spanning partitions
   * were finalised at), closing what it passes. A partition that was idle or empty, and so left
   * out of that global watermark, thereby treats older records as late instead of changing final
   * results (SPEC §4). No-op when the watermark is already there.
   */
  raiseWatermarkTo(floor: number): boolean {
    let moved = false;
    this.atomically(() => {
      moved = this.wm.raiseFloor(floor);
      if (moved) this.closeUpToWatermark();
    });
    return moved;
  }

  /**
   * Wall-clock tick: advances an idle partition's watermark (SPEC §4). On failure nothing moved.
   * `readableSince` (from the runtime): null while input may wait unread (consumer not fetching,
   * or behind the partition's end), so the partition is held not idle, as Flink never idles a
   * source with pending data; else since when the consumer has been reading without a gap.
   * Returns true when there is something to commit.
   */
  punctuate(readableSince?: number | null): boolean {
    let moved = false;
    const now = this.options.clock();
    this.atomically(() => {
      if (readableSince === null) {
        moved = this.wm.hold(now);
        return;
      }
      moved = this.wm.tick(now, readableSince);
      if (moved) this.closeUpToWatermark();
    });
    return moved;
  }

  private late(raw: RawRecord, value: unknown, timestamp: number): void {
    this.counts.late++;
    if (!this.options.lateTopic) return;
    const record = lateRecordValue(
      this.errorSource(raw),
      value,
      timestamp,
      this.wm.current!,
      this.options.clock(),
    );
    this.collector.send(this.options.lateTopic, raw.key?.toString('utf8') ?? null, record);
  }

  private deadLetter(raw: RawRecord, err: unknown, attempts: number): void {
    this.counts.deadLettered++;
    const reason = err instanceof PoisonError ? err.reason : 'processing_failed';
    const message = err instanceof Error ? err.message : String(err);
    this.deadLetters.push({ offset: raw.offset, reason, message });
    if (!this.options.deadLetterTopic) return;
    const value = deadLetterValue(
      this.errorSource(raw),
      { reason, message, attempts },
      this.options.clock(),
    );
    this.collector.send(this.options.deadLetterTopic, raw.key?.toString('utf8') ?? null, value);
  }

  private errorSource(raw: RawRecord): ErrorRecordSource {
    const { maxPayloadBytes } = this.options;
    return { ...this.failedRecord(raw), value: raw.value, maxPayloadBytes };
  }

  /** Records accounted since the last takeCommit (processed, late, dead-lettered or duplicate). */
  pendingRecords(): number {
    return (
      this.counts.processed + this.counts.late + this.counts.deadLettered + this.counts.duplicates
    );
  }

  /** Records for the outbox since the last takeCommit (results, late records and dead letters). */
  pendingOutput(): number {
    return this.collector.outboxRecords();
  }

  /** Takes the changes since the last commit. The caller commits them or discards the task. */
  takeCommit(): TaskCommit {
    const storeChanges = new Map<string, Map<string, unknown>>();
    for (const [name, store] of this.stores) {
      const changes = store.takeChanges();
      if (changes.size) storeChanges.set(name, changes);
    }
    const output = this.collector.take();
    const commit: TaskCommit = {
      nextOffset: this.resumeOffset(),
      nextSeq: output.nextSeq,
      watermark: this.wm.snapshot(),
      storeChanges,
      tableWrites: output.tableWrites,
      outbox: output.outbox,
      ...this.counts,
      deadLetters: this.deadLetters,
      minAcceptedTime: this.minAcceptedTime,
      dedupe: this.dedupe?.take(this.wm.current) ?? null,
    };
    this.deadLetters = [];
    this.minAcceptedTime = null;
    this.counts = { processed: 0, late: 0, deadLettered: 0, duplicates: 0 };
    return commit;
  }
}

/** A record's value as deserialised, or why it could not be. */
type Decoded = { value: unknown } | { error: PoisonError };
