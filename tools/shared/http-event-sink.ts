import { Clock, systemClock } from './clock';
import type { EventSink, SendResult } from './event-sink-port';

export const DEFAULT_INGEST_URL = 'http://127.0.0.1:3001';

/** How long a send keeps retrying 503s and connection errors before it gives up. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 10. */
  maxAttempts: number;
  /** No retry starts later than this after the first attempt. Default 2 min. */
  maxElapsedMs: number;
  /** Backoff cap of the first retry; doubles each retry. Default 250 ms. */
  baseDelayMs: number;
  /** Backoff cap. Default 30 s. A longer Retry-After is still honoured (within maxElapsedMs). */
  maxDelayMs: number;
}

export interface HttpSinkOptions {
  /** Base URL of ingest (a path prefix is kept). Default http://127.0.0.1:3001. */
  url?: string;
  apiKey?: string;
  retry?: Partial<RetryPolicy>;
  /** Per attempt: ingest answers once Kafka acknowledged, so allow for a slow broker. Default 30 s. */
  requestTimeoutMs?: number;
  /** A larger send is split into several requests (ingest takes ≤ 10,000 events). Default 10,000. */
  maxBatchEvents?: number;
  /** Same for the NDJSON body size (ingest takes ≤ 5 MB). Default 4 MiB. */
  maxBatchBytes?: number;
  /** For tests: time for backoff, and the jitter source (0 ≤ x < 1). */
  clock?: Clock;
  random?: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  maxElapsedMs: 120_000,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
};

/** A send that failed for good: status (when there was an answer), the answer's body, attempts made. */
export class EventSinkError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: string | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'EventSinkError';
  }
}

/** Statuses after which nothing of the request was accepted and it may be sent again. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const MAX_BODY_SHOWN = 500;

/**
 * Sends batches to `POST /v1/events` as NDJSON over keep-alive connections (Node's fetch pools them).
 * 202 and 400 (all rejected) are results; 503/429/502/504 and connection errors are retried with
 * exponential backoff and full jitter, honouring Retry-After, within the retry policy; anything
 * else (401, 413, 415, 500, ...) throws an EventSinkError at once.
 *
 * A retry after a connection error or timeout can duplicate events if the lost attempt had in
 * fact been accepted; events that carry an event_id can be deduplicated downstream.
 */
export class HttpEventSink implements EventSink {
  readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutMs: number;
  private readonly maxBatchEvents: number;
  private readonly maxBatchBytes: number;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(opts: HttpSinkOptions = {}) {
    const base = opts.url ?? DEFAULT_INGEST_URL;
    let parsed: URL;
    try {
      parsed = new URL(base);
    } catch {
      throw new RangeError(`ingest URL ${JSON.stringify(base)} is not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new RangeError(`ingest URL ${JSON.stringify(base)} must be http:// or https://`);
    }
    this.endpoint = `${base.replace(/\/+$/, '')}/v1/events`;
    this.headers = {
      'content-type': 'application/x-ndjson',
      accept: 'application/json',
      'user-agent': 'clickstream-tools',
    };
    if (opts.apiKey) this.headers.authorization = `Bearer ${opts.apiKey}`;
    this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.maxBatchEvents = opts.maxBatchEvents ?? 10_000;
    this.maxBatchBytes = opts.maxBatchBytes ?? 4 * 1024 * 1024;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
  }

  async send(events: unknown[]): Promise<SendResult> {
    const total: SendResult = { accepted: 0, rejected: 0, errors: [] };
    for (const chunk of this.chunks(events)) {
      const result = await this.post(chunk.body, chunk.count);
      total.accepted += result.accepted;
      total.rejected += result.rejected;
      for (const error of result.errors)
        total.errors.push({ ...error, index: error.index + chunk.first });
    }
    return total;
  }

  async close(): Promise<void> {
    // Pooled keep-alive sockets belong to Node's global dispatcher and time out on their own.
  }

  /** NDJSON bodies within the event and byte limits, with the batch index of their first event. */
  private *chunks(events: unknown[]): Generator<{ body: string; count: number; first: number }> {
    let lines: string[] = [];
    let bytes = 0;
    let first = 0;
    for (let i = 0; i < events.length; i++) {
      const line = `${stringifyEvent(events[i])}\n`;
      const size = Buffer.byteLength(line);
      if (
        lines.length > 0 &&
        (lines.length >= this.maxBatchEvents || bytes + size > this.maxBatchBytes)
      ) {
        yield { body: lines.join(''), count: lines.length, first };
        first = i;
        lines = [];
        bytes = 0;
      }
      lines.push(line);
      bytes += size;
    }
    if (lines.length > 0) yield { body: lines.join(''), count: lines.length, first };
  }

  /** One request, retried while that is safe and the policy allows. */
  private async post(body: string, count: number): Promise<SendResult> {
    const started = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(body);
      if (outcome.kind === 'result') return outcome.result;
      if (outcome.kind === 'fatal') {
        throw new EventSinkError(
          `POST ${this.endpoint} (${count} events, ${Buffer.byteLength(body)} bytes) failed: ` +
            `${outcome.what}${outcome.hint ? ` (${outcome.hint})` : ''}${showBody(outcome.body)}`,
          outcome.status,
          outcome.body,
          attempt,
        );
      }
      const delay = backoffDelay(attempt, this.retry, this.random(), outcome.retryAfterMs);
      const elapsed = this.clock.now() - started;
      if (attempt >= this.retry.maxAttempts || elapsed + delay > this.retry.maxElapsedMs) {
        throw new EventSinkError(
          `POST ${this.endpoint} gave up after ${attempt} ${attempt === 1 ? 'attempt' : 'attempts'} in ${(elapsed / 1000).toFixed(1)} s: ` +
            `${outcome.what}${showBody(outcome.body)}`,
          outcome.status,
          outcome.body,
          attempt,
        );
      }
      await this.clock.sleep(delay);
    }
  }

  private async attempt(body: string): Promise<Outcome> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (error) {
      return { kind: 'retry', what: describeFetchError(error, this.requestTimeoutMs) };
    }
    // Always read the body: an unread body keeps the connection from going back to the pool.
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      return {
        kind: 'retry',
        what: `reading the answer: ${describeFetchError(error, this.requestTimeoutMs)}`,
      };
    }
    const status = response.status;
    const what = `${status} ${response.statusText}`.trim();
    if (status === 200 || status === 202 || status === 400) {
      const result = parseSendResult(text);
      if (result) return { kind: 'result', result };
      return { kind: 'fatal', status, body: text, what, hint: 'unexpected answer body' };
    }
    if (RETRYABLE_STATUSES.has(status)) {
      return {
        kind: 'retry',
        status,
        body: text,
        what,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()),
      };
    }
    return { kind: 'fatal', status, body: text, what, hint: STATUS_HINTS[status] };
  }
}

type Outcome =
  | { kind: 'result'; result: SendResult }
  | { kind: 'retry'; what: string; status?: number; body?: string; retryAfterMs?: number }
  | { kind: 'fatal'; what: string; status: number; body: string; hint?: string };

const STATUS_HINTS: Record<number, string> = {
  401: 'missing or wrong API key: pass --api-key / apiKey',
  403: 'the API key is not allowed to send events',
  404: 'no ingest API at this URL',
  413: 'request too large: send smaller batches',
  415: 'ingest does not take this content type',
};

/**
 * Delay before retry number `attempt` (1 = the first retry): full jitter, i.e. uniform in
 * [0, min(maxDelay, base·2^(attempt−1))), but never shorter than the server's Retry-After.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: number,
  retryAfterMs?: number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = Math.floor(random * cap);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

/** Retry-After as delay-seconds or an HTTP-date, in ms from `now`; undefined when absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month; Date.parse would also take "-1" or "2".
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The body of a 202/400 when it has the documented shape. */
export function parseSendResult(text: string): SendResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { accepted, rejected, errors } = value as Record<string, unknown>;
  if (!isCount(accepted) || !isCount(rejected)) return undefined;
  if (errors !== undefined && !Array.isArray(errors)) return undefined;
  return {
    accepted,
    rejected,
    errors: (errors ?? []).map((error: unknown) => {
      const e = (typeof error === 'object' && error !== null ? error : {}) as Record<
        string,
        unknown
      >;
      return {
        index: typeof e.index === 'number' ? e.index : -1,
        field: typeof e.field === 'string' ? e.field : '(root)',
        message: typeof e.message === 'string' ? e.message : JSON.stringify(error),
      };
    }),
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** One NDJSON line (JSON.stringify never writes a raw newline). */
function stringifyEvent(event: unknown): string {
  // undefined, functions and symbols have no JSON form: send null, so the server rejects that one.
  return JSON.stringify(event) ?? 'null';
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  // Duck-typed: fetch's errors may come from another realm (jest's vm), where instanceof fails.
  const { name, message, cause } = asErrorLike(error);
  if (name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (cause !== undefined) {
    const inner = asErrorLike(cause);
    const code =
      typeof inner.code === 'string' && !inner.message.includes(inner.code) ? `${inner.code} ` : '';
    return `connection error: ${code}${inner.message}`;
  }
  return `connection error: ${message}`;
}

function asErrorLike(value: unknown): {
  name?: string;
  message: string;
  code?: unknown;
  cause?: unknown;
} {
  if (typeof value !== 'object' || value === null) return { message: String(value) };
  const v = value as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  return {
    name: typeof v.name === 'string' ? v.name : undefined,
    message: typeof v.message === 'string' ? v.message : String(value),
    code: v.code,
    cause: v.cause,
  };
}

function showBody(body: string | undefined): string {
  if (!body) return '';
  const flat = body.replace(/\s+/g, ' ').trim();
  return `: ${flat.length > MAX_BODY_SHOWN ? `${flat.slice(0, MAX_BODY_SHOWN)}…` : flat}`;
}
