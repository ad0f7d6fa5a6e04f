import { TaskCommit } from '@clickstream/streams/internals';

/**
 * A commit for the task repository's specs: moves the offset to `nextOffset` and carries only the
 * parts given (store changes, table writes, remembered ids); nothing late or dead-lettered.
 */
export function taskCommit(nextOffset: string, parts: Partial<TaskCommit> = {}): TaskCommit {
  return {
    nextOffset,
    nextSeq: 0,
    watermark: {
      maxEventTime: null,
      watermark: null,
      lastInputAt: Date.now(),
      idleAdvancedTo: null,
    },
    storeChanges: new Map(),
    tableWrites: [],
    outbox: [],
    processed: 0,
    late: 0,
    deadLettered: 0,
    deadLetters: [],
    minAcceptedTime: null,
    ...parts,
  };
}
