import { Rec } from './processor';
import { SinkDefinition, SinkPosition, TableSinkDefinition } from './topology';
import { StreamsError } from './errors';

/** A message to publish, numbered per task so the publisher can prove it never sends one twice. */
export interface OutboxMessage {
  seq: number;
  topic: string;
  key: string | null;
  value: string;
}

export interface TableWrite {
  sink: TableSinkDefinition;
  /** Upsert this row, or delete the row identified by `key` when row is null. */
  row: Record<string, unknown> | null;
  key: Record<string, unknown>;
}

/** What a task's sinks produced since its last commit: written with it in one transaction. */
export interface CollectedOutput {
  outbox: OutboxMessage[];
  tableWrites: TableWrite[];
  nextSeq: number;
}

interface LazyWrite {
  rec: Rec;
  at: SinkPosition;
}

/**
 * A task's output, as Kafka Streams' RecordCollector: sink results (outbox messages and table
 * rows) and the runtime's own records (late, dead letters). A unit of work (a record and the
 * watermark step it causes) is all or nothing, so its sink results are held until `release()`, and
 * `discard()` drops them when the unit fails. Outbox messages are numbered as they are released.
 */
export class RecordCollector {
  private outbox: OutboxMessage[] = [];
  private tableWrites: TableWrite[] = [];
  /** Table rows keyed by the sink's rowKey: only the last result per row is turned into a row, at take(). */
  private lazyTables = new Map<TableSinkDefinition, Map<string, LazyWrite>>();
  private pendingOutbox: Array<Omit<OutboxMessage, 'seq'>> = [];
  private pendingTables: TableWrite[] = [];
  private pendingLazy: Array<LazyWrite & { sink: TableSinkDefinition; id: string }> = [];

  constructor(
    private nextSeq: number,
    private readonly at: SinkPosition,
  ) {}

  /** A sink's result within the current unit. */
  collect(sink: SinkDefinition, rec: Rec): void {
    if (sink.kind === 'topic') {
      const key = sink.key(rec);
      this.pendingOutbox.push({
        topic: sink.topic,
        key: key === null ? null : String(sink.keySerde.serialize(key)),
        value: String(sink.valueSerde.serialize(rec.value)),
      });
      return;
    }
    if (sink.rowKey) {
      this.pendingLazy.push({ sink, id: sink.rowKey(rec), rec, at: this.at });
      return;
    }
    this.pendingTables.push(tableWrite(sink, rec, this.at));
  }

  /** A record outside any unit (late records, dead letters): straight to the outbox. */
  send(topic: string, key: string | null, value: string): void {
    // The outbox keeps keys as text, which cannot hold NUL; such a key only comes with a record that
    // is about to be dead-lettered, whose DLQ record must still be storable.
    const safeKey = key !== null && key.includes('\u0000') ? key.replace(/\u0000/g, '\uFFFD') : key;
    this.outbox.push({ seq: this.nextSeq++, topic, key: safeKey, value });
  }

  /** The unit succeeded: its results join the commit. */
  release(): void {
    for (const message of this.pendingOutbox) this.send(message.topic, message.key, message.value);
    this.pendingOutbox = [];
    for (const write of this.pendingTables) this.tableWrites.push(write);
    this.pendingTables = [];
    for (const { sink, id, rec, at } of this.pendingLazy) {
      let rows = this.lazyTables.get(sink);
      if (!rows) this.lazyTables.set(sink, (rows = new Map()));
      rows.set(id, { rec, at });
    }
    this.pendingLazy = [];
  }

  /** The unit failed: nothing it produced is kept. */
  discard(): void {
    this.pendingOutbox = [];
    this.pendingTables = [];
    this.pendingLazy = [];
  }

  /** Outbox records released since the last take. */
  outboxRecords(): number {
    return this.outbox.length;
  }

  /** Takes what was released since the last take. */
  take(): CollectedOutput {
    for (const [sink, rows] of this.lazyTables) {
      for (const { rec, at } of rows.values()) this.tableWrites.push(tableWrite(sink, rec, at));
    }
    this.lazyTables = new Map();
    const output = { outbox: this.outbox, tableWrites: this.tableWrites, nextSeq: this.nextSeq };
    this.outbox = [];
    this.tableWrites = [];
    return output;
  }
}

/** A table sink that returns neither a row nor a delete key: a programmer error. */
export class TableSinkError extends StreamsError {
  constructor(sinkName: string) {
    super(
      `table sink ${sinkName} returned no row and has no deleteKey`,
      'TABLE_SINK_INVALID',
      false,
    );
  }
}

function tableWrite(sink: TableSinkDefinition, rec: Rec, at: SinkPosition): TableWrite {
  const row = sink.row(rec, at);
  const key = row ?? sink.deleteKey?.(rec, at);
  if (!key) throw new TableSinkError(sink.name);
  return { sink, row, key };
}
