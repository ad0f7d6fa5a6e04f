import type { TaskCommit, TaskRestore } from './task';

/**
 * Applies a commit's store changes to committed store entries, as the Postgres commit does: an
 * undefined value deletes the key, any other value replaces it (copied, so later in-memory changes
 * to the task's state cannot reach what counts as committed).
 */
export function applyStoreChanges(
  stores: TaskRestore['stores'],
  changes: TaskCommit['storeChanges'],
): void {
  for (const [store, entries] of changes) {
    const current = new Map(stores.get(store) ?? []);
    for (const [key, value] of entries) {
      if (value === undefined) current.delete(key);
      else current.set(key, structuredClone(value));
    }
    stores.set(store, [...current]);
  }
}
