import { StateEncodingError } from '../core/errors';
import { TaskFencedError, WatermarkFloorMovedError } from './errors';

/**
 * What kind of failure an error is, which decides what the runtime does about it:
 * - `data`: the database or broker refused this data (a NUL in jsonb, a numeric overflow, a message
 *   over the broker's limit), or a store's layout could not encode a value when the commit was
 *   taken. Retrying the same data fails the same way; the record is isolated.
 * - `transient`: the database or broker is unreachable, restarting, timed out or busy. Retried
 *   with backoff; nothing is wrong with the data.
 * - `fenced`: another instance owns the task now.
 * - `watermark_floor`: a global stage finalised past what the commit accepted (see errors.ts).
 * - `bug`: anything else (a programmer error). Retried with backoff, never dead-lettered.
 */
export type FailureKind = 'data' | 'transient' | 'fenced' | 'watermark_floor' | 'bug';

export interface Failure {
  kind: FailureKind;
  /** SQLSTATE, Kafka error type or error name: stable, for logs and for "the same failure twice". */
  code: string;
  message: string;
}

/** Postgres SQLSTATE classes that reject the data itself (same data, same error). */
const DATA_SQLSTATE_CLASSES = ['22', '23', '54'];
/** Postgres SQLSTATE classes of an unavailable, restarting, busy or timed-out server. */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '40', '53', '55', '57', '58'];
/** Kafka errors about the records themselves (kafkajs protocol error types). */
const DATA_KAFKA_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface ErrorFields {
  code?: unknown;
  type?: unknown;
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** The error and its causes, outermost first (kafkajs wraps protocol errors in retry errors). */
function chain(err: unknown): ErrorFields[] {
  const out: ErrorFields[] = [];
  for (let e = err; e && typeof e === 'object' && out.length < 5; e = (e as ErrorFields).cause)
    out.push(e as ErrorFields);
  return out;
}

export function classifyFailure(err: unknown): Failure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof TaskFencedError) return { kind: 'fenced', code: err.code, message };
  if (err instanceof WatermarkFloorMovedError)
    return { kind: 'watermark_floor', code: err.code, message };
  // A value the node's own layout cannot hold is refused data, as a value Postgres refuses is.
  if (err instanceof StateEncodingError) return { kind: 'data', code: err.code, message };
  for (const e of chain(err)) {
    const type = typeof e.type === 'string' ? e.type : undefined;
    if (type && DATA_KAFKA_TYPES.has(type))
      return { kind: 'data', code: type, message: String(e.message ?? message) };
    if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED')
      return { kind: 'fenced', code: type, message };
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && /^[0-9A-Z]{5}$/.test(code)) {
      const cls = code.slice(0, 2);
      if (DATA_SQLSTATE_CLASSES.includes(cls))
        return { kind: 'data', code, message: String(e.message ?? message) };
      if (TRANSIENT_SQLSTATE_CLASSES.includes(cls))
        return { kind: 'transient', code, message: String(e.message ?? message) };
    }
    if (code && NETWORK_CODES.has(code)) return { kind: 'transient', code, message };
  }
  // Any other kafkajs error (a retrier wrapper, a lost broker, a timeout) says nothing against the data.
  const kafkajs = chain(err).find(
    (e) => typeof e.name === 'string' && e.name.startsWith('KafkaJS'),
  );
  if (kafkajs)
    return {
      kind: 'transient',
      code: typeof kafkajs.type === 'string' ? kafkajs.type : String(kafkajs.name),
      message,
    };
  // node-postgres' own errors for a lost connection or a client-side timeout carry no SQLSTATE.
  if (
    /Connection terminated|connection timeout|timeout exceeded|Client has encountered a connection error|not queryable|timed out/i.test(
      message,
    )
  ) {
    return { kind: 'transient', code: 'CONNECTION', message };
  }
  const name = err instanceof Error ? err.name : 'Error';
  return {
    kind: 'bug',
    code: (err as ErrorFields)?.code ? String((err as ErrorFields).code) : name,
    message,
  };
}

/** "Fails the same way": the same kind and code, and the same message (values included). */
export const failureSignature = (f: Failure) => `${f.kind}:${f.code}:${f.message}`;
