import { StateEncodingError } from './errors';

/**
 * A named key-value state store of one task. Reads and writes are in memory; the store records what
 * changed since the last commit so the runtime can write only that (multi-row) to Postgres.
 */
export class KeyValueStore<V = unknown> {
  private readonly data = new Map<string, V>();
  private readonly dirty = new Set<string>();

  constructor(readonly name: string) {}

  get(key: string): V | undefined {
    return this.data.get(key);
  }

  has(key: string): boolean {
    return this.data.has(key);
  }

  put(key: string, value: V): void {
    this.data.set(key, value);
    this.dirty.add(key);
  }

  delete(key: string): void {
    if (!this.data.delete(key)) return;
    this.dirty.add(key);
  }

  get size(): number {
    return this.data.size;
  }

  entries(): IterableIterator<[string, V]> {
    return this.data.entries();
  }

  /** Loads committed state without marking it dirty. */
  restore(key: string, value: V): void {
    this.data.set(key, value);
  }

  /**
   * The changes since the last call: value, or undefined for a deletion. A value with storedForm()
   * or toJSON (one a node changes in place) is taken in its stored form now (bytes or a JSON-able
   * value), so the commit holds the state as of this call even if it is written, or written again,
   * after later records changed the value.
   *
   * A value whose stored form is bytes rests as those bytes from now on (as in a Kafka Streams
   * store): get() returns them until the node puts a value again, and the node reads them back as
   * it does after a restore. Under live cardinality most keys wait seconds to minutes for their
   * next record, and their objects (a session's records within the allowed lateness) were about
   * half of the sessionizer's live heap (BENCHMARKS.md, "The open sessions at rest as bytes").
   *
   * A value whose stored form throws raises StateEncodingError naming the store and the key; the
   * caller then discards the task (its changes are half taken).
   */
  takeChanges(): Map<string, unknown> {
    const changes = new Map<string, unknown>();
    for (const key of this.dirty) {
      const value = this.data.get(key);
      let stored: unknown;
      try {
        stored = storedForm(value);
      } catch (err) {
        throw new StateEncodingError(this.name, key, err);
      }
      if (stored !== value && stored instanceof Uint8Array) this.data.set(key, stored as V);
      changes.set(key, stored);
    }
    this.dirty.clear();
    return changes;
  }
}

/**
 * The first byte of a state a node stores in its own byte layout (storedForm() returning bytes):
 * JSON text never starts with it, so the runtime tells the two forms apart by it.
 */
export const STATE_BYTES_TAG = 0x00;

function storedForm(value: unknown): unknown {
  const stored = (value as { storedForm?: unknown } | null | undefined)?.storedForm;
  if (typeof stored === 'function') return (stored as () => unknown).call(value);
  const toJSON = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
}
