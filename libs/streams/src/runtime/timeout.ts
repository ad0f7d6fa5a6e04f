import { StreamsError } from '../core/errors';

/** An awaited operation did not settle in time; retrying it may help. */
export class OperationTimeoutError extends StreamsError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms`, 'OPERATION_TIMEOUT', true);
  }
}

/**
 * `promise`, or an OperationTimeoutError naming `operation` once `ms` have passed. The operation
 * itself is not cancelled: the caller releases what it holds (disconnect, release a client). The
 * one copy for the runtime, the platform, tools and benches.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationTimeoutError(operation, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
