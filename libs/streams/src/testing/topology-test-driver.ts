import { DedupeEntry, RecordHeaders, dedupeEntries } from '../core/dedupe';
import { StateEncodingError } from '../core/errors';
import {
  DeserializationExceptionHandler,
  ProcessingExceptionHandler,
} from '../core/exception-handlers';
import { RawRecord, StreamTask, TaskCommit, TaskOptions, TaskRestore } from '../core/task';
import { applyStoreChanges } from '../core/store-changes';
import { mergeTableRow, Topology } from '../core/topology';

export interface TestDriverOptions {
  /** Partitions of every source topic (default 1). */
  partitions?: number;
  allowedLatenessMs?: number;
  idleTimeoutMs?: number;
  lateTopic?: string;
  deadLetterTopic?: string;
  maxRetries?: number;
  deserializationHandler?: DeserializationExceptionHandler;
  processingHandler?: ProcessingExceptionHandler;
  /** Initial wall-clock ms (default 0). */
  wallClock?: number;
}

export interface OutputRecord<V = unknown> {
  key: string | null;
  value: V;
}

interface TaskSlot {
  task: StreamTask;
  offset: number;
  committed: TaskRestore;
  /** The ids the source's dedupe remembered, as the runtime's stream_dedupe table holds them. */
  remembered: Map<string, DedupeEntry>;
}

/**
 * Like Kafka Streams' TopologyTestDriver: pipes records into a topology with no broker and no
 * database, runs the same StreamTask code as the runtime, commits after every record, and exposes
 * output topics, table sinks, stores and watermarks. A record whose state cannot be encoded at its
 * commit is dead-lettered, as the runtime's isolation does. `restart()` rebuilds every task from
 * what was committed, as a crash and restore would.
 */
export class TopologyTestDriver {
  private wall: number;
  private readonly partitions: number;
  private readonly options: TaskOptions;
  private readonly tasks = new Map<string, TaskSlot>();
  private readonly topics = new Map<string, OutputRecord<string>[]>();
  private readonly tables = new Map<string, Map<string, Record<string, unknown>>>();
  /** Records dropped as duplicates so far, over every task. */
  duplicates = 0;

  constructor(
    private topology: Topology,
    options: TestDriverOptions = {},
  ) {
    this.wall = options.wallClock ?? 0;
    this.partitions = options.partitions ?? 1;
    this.options = {
      applicationId: topology.applicationId,
      allowedLatenessMs: options.allowedLatenessMs ?? 0,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      lateTopic: options.lateTopic,
      deadLetterTopic: options.deadLetterTopic,
      maxRetries: options.maxRetries ?? 2,
      deserializationHandler: options.deserializationHandler,
      processingHandler: options.processingHandler,
      clock: () => this.wall,
      // As the runtime: the dedupe's filter spares lookups (loaded from `remembered` below).
      dedupeFilterMaxBytes: 4 * 1024 * 1024,
    };
    for (const topic of topology.sources.keys()) {
      for (let p = 0; p < this.partitions; p++) this.slot(topic, p);
    }
  }

  private slot(topic: string, partition: number): TaskSlot {
    const id = `${topic}-${partition}`;
    let slot = this.tasks.get(id);
    if (!slot) {
      const committed: TaskRestore = {
        stores: new Map(),
        watermark: null,
        nextOffset: null,
        nextSeq: 0,
      };
      slot = {
        task: new StreamTask(this.topology, topic, partition, this.options),
        offset: 0,
        committed,
        remembered: new Map(),
      };
      slot.task.dedupeFilter?.loaded();
      this.tasks.set(id, slot);
    }
    return slot;
  }

  /** Default partitioner: a stable hash of the key (all records of a key go to one partition). */
  partitionFor(key: string | null): number {
    if (key === null) return 0;
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
    return Math.abs(h) % this.partitions;
  }

  /**
   * Pipes one record; `value` is serialised as JSON unless it is a string or Buffer. `headers` are
   * the record's Kafka headers (as the consumer decodes them: values as Buffers).
   */
  pipe(
    topic: string,
    key: string | null,
    value: unknown,
    opts: { partition?: number; headers?: RecordHeaders } = {},
  ): void {
    const slot = this.sourceSlot(topic, opts.partition ?? this.partitionFor(key));
    const raw: RawRecord = {
      key: key === null ? null : Buffer.from(key),
      value:
        value === null
          ? null
          : Buffer.isBuffer(value)
            ? value
            : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
      offset: String(slot.offset++),
      headers: opts.headers,
    };
    // As the runtime: the ids memory cannot answer are looked up in the committed table first.
    const lookups = slot.task.dedupeLookups([raw]);
    if (lookups.length)
      slot.task.learnDuplicates(
        lookups.filter((id) => slot.remembered.has(id)).map((id) => [id, slot.remembered.get(id)!]),
      );
    slot.task.process([raw]);
    try {
      this.commit(slot);
    } catch (err) {
      if (!(err instanceof StateEncodingError)) throw err;
      this.isolate(topic, slot, raw, err);
    }
  }

  /**
   * As the runtime does with a commit whose state cannot be encoded (refused data): the record is
   * committed alone, so it is the one; the task is rebuilt from what was committed and the record
   * dead-lettered (reason `storage_rejected`) instead of processed.
   */
  private isolate(topic: string, slot: TaskSlot, raw: RawRecord, err: StateEncodingError): void {
    const rebuilt = this.rebuilt(slot);
    this.tasks.set(`${topic}-${slot.task.partition}`, rebuilt);
    rebuilt.task.quarantine(raw.offset, {
      reason: 'storage_rejected',
      message: `${err.message} (${err.code})`,
    });
    rebuilt.task.process([raw]);
    this.commit(rebuilt);
  }

  pipeAll(
    topic: string,
    records: Array<{
      key: string | null;
      value: unknown;
      partition?: number;
      headers?: RecordHeaders;
    }>,
  ): void {
    for (const r of records)
      this.pipe(topic, r.key, r.value, { partition: r.partition, headers: r.headers });
  }

  private sourceSlot(topic: string, partition: number): TaskSlot {
    if (!this.topology.sources.has(topic)) throw new Error(`${topic} is not a source topic`);
    if (partition < 0 || partition >= this.partitions)
      throw new Error(`partition ${partition} out of range`);
    return this.slot(topic, partition);
  }

  /** Moves wall-clock time; idle partitions advance their watermarks. */
  advanceWallClock(ms: number): void {
    this.wall += ms;
    for (const slot of this.tasks.values()) {
      if (slot.task.punctuate()) this.commit(slot);
    }
  }

  private commit(slot: TaskSlot): void {
    const c: TaskCommit = slot.task.takeCommit();
    for (const m of c.outbox) {
      const list = this.topics.get(m.topic) ?? [];
      list.push({ key: m.key, value: m.value });
      this.topics.set(m.topic, list);
    }
    for (const w of c.tableWrites) {
      const table = this.tables.get(w.sink.table) ?? new Map<string, Record<string, unknown>>();
      const pk = JSON.stringify(w.sink.primaryKey.map((col) => (w.row ?? w.key)[col]));
      if (w.row) table.set(pk, mergeTableRow(w.sink, table.get(pk), w.row));
      else table.delete(pk);
      this.tables.set(w.sink.table, table);
    }
    const committed = slot.committed;
    applyStoreChanges(committed.stores, c.storeChanges);
    if (c.dedupe) {
      const forget = c.dedupe.forgetBefore;
      if (forget !== null)
        for (const [id, e] of slot.remembered) if (e.eventTime < forget) slot.remembered.delete(id);
      for (const [id, e] of dedupeEntries(c.dedupe.remember)) {
        // The runtime's plain INSERT would be refused: the dedupe judged a remembered id first.
        if (slot.remembered.has(id)) throw new Error(`stream_dedupe already holds id ${id}`);
        slot.remembered.set(id, e);
      }
    }
    this.duplicates += c.duplicates ?? 0;
    committed.watermark = c.watermark;
    committed.nextOffset = c.nextOffset;
    committed.nextSeq = c.nextSeq;
  }

  /**
   * Rebuilds every task from committed state, as after a crash; outputs so far are kept. With
   * `upgraded`, the tasks are rebuilt with that topology instead: a new build of the processor
   * starting on what the old one stored (same application id and sources).
   */
  restart(upgraded?: Topology): void {
    if (upgraded) {
      if (upgraded.applicationId !== this.topology.applicationId)
        throw new Error(`restart: ${upgraded.applicationId} is not ${this.topology.applicationId}`);
      this.topology = upgraded;
    }
    for (const [id, slot] of this.tasks) this.tasks.set(id, this.rebuilt(slot));
  }

  /** The slot with its task rebuilt from what it committed (a snapshot: later processing cannot reach back). */
  private rebuilt(slot: TaskSlot): TaskSlot {
    const restore: TaskRestore = {
      ...slot.committed,
      stores: new Map(
        [...slot.committed.stores].map(([k, v]) => [
          k,
          v.map(([kk, vv]) => [kk, structuredClone(vv)] as [string, unknown]),
        ]),
      ),
    };
    const task = new StreamTask(
      this.topology,
      slot.task.topic,
      slot.task.partition,
      this.options,
      restore,
    );
    // As the runtime's load: every stored id, then ready.
    for (const [rememberedId, e] of slot.remembered)
      task.dedupeFilter?.add(rememberedId, e.eventTime);
    task.dedupeFilter?.loaded();
    return { ...slot, task };
  }

  /** Reads (and removes) what was published to `topic`, values parsed as JSON. */
  readOutput<V = unknown>(topic: string): OutputRecord<V>[] {
    const list = this.topics.get(topic) ?? [];
    this.topics.delete(topic);
    return list.map((r) => ({ key: r.key, value: parseMaybe(r.value) as V }));
  }

  /** Current rows of a table sink. */
  readTable<R = Record<string, unknown>>(table: string): R[] {
    return [...(this.tables.get(table)?.values() ?? [])] as R[];
  }

  store<V = unknown>(
    name: string,
    partition = 0,
    topic = [...this.topology.sources.keys()][0],
  ): Map<string, V> {
    const s = this.slot(topic, partition).task.stores.get(name);
    if (!s) throw new Error(`no store ${name}`);
    return new Map([...s.entries()] as Array<[string, V]>);
  }

  /** Ids the source's dedupe remembers in committed state (the runtime's stream_dedupe rows). */
  rememberedIds(partition = 0, topic = [...this.topology.sources.keys()][0]): string[] {
    return [...this.slot(topic, partition).remembered.keys()].sort();
  }

  watermark(partition = 0, topic = [...this.topology.sources.keys()][0]): number | null {
    return this.slot(topic, partition).task.watermark.current;
  }
}

function parseMaybe(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
