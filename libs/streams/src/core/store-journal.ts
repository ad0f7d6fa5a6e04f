import { KeyValueStore } from './store';

/**
 * Undo log of the store writes made while processing one record, so a failed attempt leaves no
 * trace. Writes are recorded only between begin() and commit() or rollback().
 */
export class StoreJournal {
  private readonly undo: Array<() => void> = [];
  /** The stores and keys written since begin() (parallel lists: no map work per write). */
  private readonly writtenStores: string[] = [];
  private readonly writtenKeys: string[] = [];
  private active = false;

  /** Wraps the store's writes so that each one is recorded while the journal is active. */
  watch(store: KeyValueStore): KeyValueStore {
    const put = store.put.bind(store);
    const del = store.delete.bind(store);
    store.put = (key, value) => {
      if (this.active) this.record(store, key);
      put(key, value);
    };
    store.delete = (key) => {
      if (this.active) this.record(store, key);
      del(key);
    };
    return store;
  }

  begin(): void {
    this.undo.length = 0;
    this.writtenStores.length = 0;
    this.writtenKeys.length = 0;
    this.active = true;
  }

  /** A node's own undo of an in-place change (ProcessorContext.onRollback). */
  push(undo: () => void): void {
    if (this.active) this.undo.push(undo);
  }

  commit(): void {
    this.active = false;
    this.undo.length = 0;
    this.writtenStores.length = 0;
    this.writtenKeys.length = 0;
  }

  /**
   * Undoes the recorded writes, newest first (the undo's own writes are not recorded). Returns the
   * keys put back, by store name, for the nodes to bring their indexes in line.
   */
  rollback(): ReadonlyMap<string, ReadonlySet<string>> {
    this.active = false;
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]();
    this.undo.length = 0;
    const touched = new Map<string, Set<string>>();
    for (let i = 0; i < this.writtenKeys.length; i++) {
      let keys = touched.get(this.writtenStores[i]);
      if (!keys) touched.set(this.writtenStores[i], (keys = new Set()));
      keys.add(this.writtenKeys[i]);
    }
    this.writtenStores.length = 0;
    this.writtenKeys.length = 0;
    return touched;
  }

  private record(store: KeyValueStore, key: string): void {
    const had = store.has(key);
    const prev = store.get(key);
    this.undo.push(() => (had ? store.restore(key, prev) : store.delete(key)));
    this.writtenStores.push(store.name);
    this.writtenKeys.push(key);
  }
}
