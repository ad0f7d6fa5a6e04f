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
