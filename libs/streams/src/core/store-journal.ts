import { KeyValueStore } from './store';

/**
 * Undo log of the store writes made while processing one record, so a failed attempt leaves no
 * trace. Writes are recorded only between begin() and commit() or rollback().
 */
export class StoreJournal {
  private readonly undo: Array<() => void> = [];
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
    this.active = true;
  }

  /** A node's own undo of an in-place change (ProcessorContext.onRollback). */
  push(undo: () => void): void {
    if (this.active) this.undo.push(undo);
  }

  commit(): void {
    this.active = false;
    this.undo.length = 0;
  }

  /** Undoes the recorded writes, newest first (the undo's own writes are not recorded). */
  rollback(): void {
    this.active = false;
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]();
    this.undo.length = 0;
  }

  private record(store: KeyValueStore, key: string): void {
    const had = store.has(key);
    const prev = store.get(key);
    this.undo.push(() => (had ? store.restore(key, prev) : store.delete(key)));
  }
}
