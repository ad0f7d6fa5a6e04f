import { StoredStateValue, storedStateValue } from './commit-sql';
import { decodeStateLog, encodeStateLog, StateLogEntry } from './state-log-codec';

/** What one commit writes of a task's state, in the same statement as its offsets. */
export interface StateWrite {
  /** The row appended to `stream_state_log` (this commit's changes); null: nothing of it waits there. */
  append: { seq: number; changes: Buffer } | null;
  /** Keys written to `stream_state` now: the latest stored value, or undefined (deleted). */
  flush: Map<string, Map<string, StoredStateValue | undefined>>;
  /** Log rows below this seq are all in `stream_state` now and are deleted; null: none to delete. */
  deleteBelow: number | null;
}

/** A key changed in the log and not yet written to `stream_state`. */
export interface PendingStateChange {
  store: string;
  key: string;
  value: StoredStateValue | undefined;
  /** The log row where the key was first changed since it was last written to `stream_state`. */
  firstSeq: number;
}

/** What the repository read back from the log when the task opened. */
export interface StateLogRestore {
  /** The seq the next row gets (one past the last row; 0 for an empty log). */
  nextSeq: number;
  /** The lowest seq the log holds (none below it remains). */
  lowestSeq: number;
  /** The log's changes, the latest per key, in the order the keys first appear in it. */
  pending: PendingStateChange[];
}

/** An empty log: a new task, or one whose log was all written to `stream_state`. */
export const EMPTY_STATE_LOG: StateLogRestore = Object.freeze({
  nextSeq: 0,
  lowestSeq: 0,
  pending: Object.freeze([]) as unknown as PendingStateChange[],
});

interface Pending extends PendingStateChange {
  /** Date.now() when the key was queued: it goes to `stream_state` once this is flushAfterMs old. */
  queuedAt: number;
}

/** NUL cannot be in a Postgres text key, so it cannot make two (store, key) pairs collide. */
const pendingId = (store: string, key: string) => `${store}\u0000${key}`;

/**
 * A task's state written as a log, as Kafka Streams writes a store's changelog: each commit appends
 * ONE row holding all of its changes (`stream_state_log`), and a key reaches its row in
 * `stream_state` only after it has waited `flushAfterMs`, with its latest value. Under live traffic
 * a key changes several times in that time, so it is upserted once instead of once per commit,
 * and a commit no longer pays an index entry, a tuple lock and an update per key (BENCHMARKS.md,
 * "The state as a log").
 *
 * Restore reads `stream_state`, then applies the log's rows in order, which gives the committed
 * state: for every key, the last row left that holds it has its latest value (every commit with
 * changes is logged while anything waits), and a key no row holds any more was written to
 * `stream_state` with its latest value (rows go only below the oldest key still waiting, and
 * when nothing waits). The model test in `state-changelog.spec.ts` checks this after every commit.
 *
 * The runtime takes one commit at a time per task; a commit that fails reopens the task from
 * Postgres, so the queue here never has to be rolled back.
 */
export class StateChangelog {
  private readonly pending = new Map<string, Pending>();
  private nextSeq: number;
  private deletedBelow: number;
  /** Set by drain(): the next write takes every waiting key, however recent. */
  private draining = false;

  /** `flushAfterMs` 0: every change goes to `stream_state` in its own commit and no row is logged. */
  constructor(
    private readonly flushAfterMs: number,
    restored: StateLogRestore,
    now: number,
  ) {
    this.nextSeq = restored.nextSeq;
    this.deletedBelow = restored.lowestSeq;
    for (const p of restored.pending)
      this.pending.set(pendingId(p.store, p.key), { ...p, queuedAt: now });
  }

  /** Keys changed in the log and not yet written to `stream_state`. */
  get waiting(): number {
    return this.pending.size;
  }

  /** True when a key has waited its interval: the next commit would write it to `stream_state`. */
  due(now: number): boolean {
    const oldest = this.pending.values().next();
    return !oldest.done && oldest.value.queuedAt <= now - this.flushAfterMs;
  }

  /**
   * The next write sends every waiting key to `stream_state` and deletes the whole log, as Kafka
   * Streams flushes its stores and writes its checkpoint on a clean close: the next owner then
   * replays nothing. For a task's last commit before its partition goes.
   */
  drain(): void {
    this.draining = true;
  }

  /**
   * What a commit writes for `changes` (a task's takeCommit().storeChanges: values in memory, or
   * undefined for deleted keys). Throws ByteFormatError for a value that cannot be stored; the
   * commit then fails and the task is reopened.
   */
  write(changes: ReadonlyMap<string, ReadonlyMap<string, unknown>>, now: number): StateWrite {
    const flush = new Map<string, Map<string, StoredStateValue | undefined>>();
    if (this.flushAfterMs <= 0 && this.pending.size === 0) {
      for (const [store, entries] of changes) {
        const stored = new Map<string, StoredStateValue | undefined>();
        for (const [key, value] of entries)
          stored.set(key, value === undefined ? undefined : storedStateValue(value));
        flush.set(store, stored);
      }
      return { append: null, flush, deleteBelow: null };
    }
    const seq = this.nextSeq;
    const entries = this.queue(changes, seq, now);
    this.takeDue(flush, this.draining ? Infinity : now - this.flushAfterMs);
    this.draining = false;
    // Logged while any key still waits, even if this commit's own keys all went to stream_state:
    // an older row may hold an older value of one of them, and restore must end on the newest.
    // With nothing waiting, stream_state has every key's latest value and the whole log goes.
    const append =
      entries.length > 0 && this.pending.size > 0
        ? { seq, changes: encodeStateLog(entries) }
        : null;
    if (append) this.nextSeq++;
    const oldest = this.pending.values().next();
    const below = oldest.done ? this.nextSeq : oldest.value.firstSeq;
    if (below <= this.deletedBelow) return { append, flush, deleteBelow: null };
    this.deletedBelow = below;
    return { append, flush, deleteBelow: below };
  }

  /** The commit's changes as log entries, each key queued (a queued key keeps its place, takes the value). */
  private queue(
    changes: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
    seq: number,
    now: number,
  ): StateLogEntry[] {
    const entries: StateLogEntry[] = [];
    for (const [store, kv] of changes)
      for (const [key, raw] of kv) {
        const value = raw === undefined ? undefined : storedStateValue(raw);
        entries.push({ store, key, value });
        const id = pendingId(store, key);
        const queued = this.pending.get(id);
        if (queued) queued.value = value;
        else this.pending.set(id, { store, key, value, firstSeq: seq, queuedAt: now });
      }
    return entries;
  }

  /** Moves the keys queued at or before `due` (the queue's head, in order) into `flush`. */
  private takeDue(flush: StateWrite['flush'], due: number): void {
    for (const [id, p] of this.pending) {
      if (p.queuedAt > due) break;
      let store = flush.get(p.store);
      if (!store) flush.set(p.store, (store = new Map()));
      store.set(p.key, p.value);
      this.pending.delete(id);
    }
  }
}

/**
 * The committed state from `stream_state`'s rows and the log's (in seq order): each store's keys
 * with their stored bytes, and the log's pending changes for the task's StateChangelog.
 */
export function replayStateLog(
  base: Iterable<{ store: string; key: string; value: Buffer }>,
  log: Iterable<{ seq: number; changes: Buffer }>,
): { stores: Map<string, Map<string, Buffer>>; log: StateLogRestore } {
  const stores = new Map<string, Map<string, Buffer>>();
  const storeOf = (name: string) => {
    let store = stores.get(name);
    if (!store) stores.set(name, (store = new Map()));
    return store;
  };
  for (const row of base) storeOf(row.store).set(row.key, row.value);
  const pending = new Map<string, PendingStateChange>();
  let lowestSeq: number | null = null;
  let nextSeq = 0;
  for (const row of log) {
    lowestSeq ??= row.seq;
    nextSeq = row.seq + 1;
    for (const { store, key, value } of decodeStateLog(row.changes)) {
      if (value === undefined) storeOf(store).delete(key);
      else storeOf(store).set(key, value);
      const id = pendingId(store, key);
      const queued = pending.get(id);
      if (queued) queued.value = value;
      else pending.set(id, { store, key, value, firstSeq: row.seq });
    }
  }
  return {
    stores,
    log: { nextSeq, lowestSeq: lowestSeq ?? 0, pending: [...pending.values()] },
  };
}
