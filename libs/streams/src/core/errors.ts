/**
 * Every error the library raises carries a stable code and whether retrying can help (as kafkajs
 * errors do). Callers retry on the flag, never on the message; programmer and config errors are
 * never retriable.
 */
export class StreamsError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A record that cannot be processed as it is: handed to the task's exception handlers (dead-lettered by default). */
export class PoisonError extends StreamsError {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message, 'POISON_RECORD', false);
  }
}

/** How much of a key an error message quotes (keys come from the records; the message may be logged and dead-lettered). */
const MAX_KEY_IN_MESSAGE = 200;

/**
 * A store's value could not be put in its stored form when the commit was taken: the node's own
 * layout refused it (a number its codec cannot hold, say). The value came from the records, so the
 * runtime treats it as data Postgres refused: it commits the records one at a time and dead-letters
 * the one whose commit cannot be stored (reason `storage_rejected`), where retrying the whole commit
 * would fail on it at every restart and stall the partition.
 */
export class StateEncodingError extends StreamsError {
  constructor(
    readonly store: string,
    key: string,
    cause: unknown,
  ) {
    const shown = key.length > MAX_KEY_IN_MESSAGE ? `${key.slice(0, MAX_KEY_IN_MESSAGE)}…` : key;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `store ${store}: the value of key ${JSON.stringify(shown)} cannot be stored: ${why}`,
      'STATE_ENCODING_FAILED',
      false,
      { cause },
    );
  }
}
