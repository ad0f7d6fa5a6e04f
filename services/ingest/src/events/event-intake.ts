import {
  ASSIGNED_EVENT_ID_HEADERS,
  ClickEvent,
  deadLetterJson,
  deadLetterKey,
  DeadLetterRecord,
  ROOT_FIELD,
  TopicNames,
  utf8BytesOver,
  validateEvent,
  validationDeadLetter,
  ValidationIssue,
} from '@clickstream/contracts';
import type { MessageHeader } from 'node-rdkafka';
import type { OutgoingMessage } from './event-producer';

export interface RejectedEvent {
  index: number;
  field: string;
  message: string;
}

export interface Intake {
  accepted: ClickEvent[];
  /** The JSON of each accepted event, as validated and measured: the record value to publish. */
  acceptedJson: string[];
  /** The request index of each accepted event. */
  acceptedAt: number[];
  /** Whether each accepted event's id was minted here (it came without one). */
  acceptedAssignedId: boolean[];
  rejected: RejectedEvent[];
  deadLetters: DeadLetterRecord[];
}

export interface IntakeOptions {
  now: number;
  maxFutureMs: number;
  /** Largest event as stored (INGEST_MAX_EVENT_BYTES); a larger one is invalid. */
  maxEventBytes: number;
  source: string;
}

/** An item that failed before validation (e.g. an NDJSON line that is not JSON). */
export class UnparsedItem {
  constructor(
    readonly raw: string,
    readonly issue: ValidationIssue,
  ) {}
}

/**
 * Validates a request's items with the contract, in order. Pure: the controller does the I/O.
 * Every rejected item yields one `{index, field, message}` (its first issue) and one DLQ record
 * carrying the original payload and all issues.
 */
export function intake(items: readonly unknown[], o: IntakeOptions): Intake {
  const receivedAt = new Date(o.now).toISOString();
  const out: Intake = {
    accepted: [],
    acceptedJson: [],
    acceptedAt: [],
    acceptedAssignedId: [],
    rejected: [],
    deadLetters: [],
  };
  const options = {
    now: o.now,
    maxFutureMs: o.maxFutureMs,
    maxEventBytes: o.maxEventBytes,
    receivedAt,
  };
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (item instanceof UnparsedItem) {
      reject(out, index, item.raw, [item.issue], o);
      continue;
    }
    const result = validateEvent(item, options);
    if (!result.ok) {
      reject(out, index, item, result.errors, o);
      continue;
    }
    out.accepted.push(result.event);
    out.acceptedJson.push(result.json);
    out.acceptedAt.push(index);
    out.acceptedAssignedId.push(result.assignedId);
  }
  return out;
}

function reject(
  out: Intake,
  index: number,
  original: unknown,
  errors: readonly ValidationIssue[],
  o: IntakeOptions,
): void {
  const first = errors[0];
  out.rejected.push({ index, field: first.field, message: first.message });
  out.deadLetters.push(validationDeadLetter(original, errors, { source: o.source, now: o.now }));
}

/**
 * A DLQ record carries the original payload, which can be as large as the body. Over this it keeps
 * only a head, the size and a hash: below the Kafka producer's message.max.bytes (1,000,000), with
 * room for the key and framing, so one record can never fail a flush (and every request in it).
 */
export const MAX_DEAD_LETTER_BYTES = 900_000;

/** The headers of an event whose id ingest minted: one shared, frozen list (produce only reads it). */
export const ASSIGNED_ID_HEADERS: readonly MessageHeader[] = Object.freeze([
  ASSIGNED_EVENT_ID_HEADERS,
]);

/** What a request publishes, and its answer's counts. */
export interface IntakeRecords {
  /** The accepted events' JSON (keyed by user), then the DLQ records. */
  messages: OutgoingMessage[];
  accepted: number;
  rejected: RejectedEvent[];
}

/**
 * intake() as the records to publish. A record Kafka would refuse must not reach a flush: it would
 * fail the flush, and so every request coalesced into it, again on each retry. The contract bounds
 * events (an oversized one is invalid), and DLQ records are cut to fit. Pure, like intake().
 */
export function intakeRecords(
  items: readonly unknown[],
  o: IntakeOptions,
  topics: Pick<TopicNames, 'events' | 'eventsDlq'>,
): IntakeRecords {
  const result = intake(items, o);
  const messages: OutgoingMessage[] = new Array(result.accepted.length + result.deadLetters.length);
  let i = 0;
  for (let k = 0; k < result.accepted.length; k++) {
    messages[i++] = {
      topic: topics.events,
      key: result.accepted[k].user_id,
      value: result.acceptedJson[k],
      headers: result.acceptedAssignedId[k] ? ASSIGNED_ID_HEADERS : undefined,
    };
  }
  for (const d of result.deadLetters) {
    messages[i++] = {
      topic: topics.eventsDlq,
      key: deadLetterKey(d.original),
      value: deadLetterJson(d, MAX_DEAD_LETTER_BYTES),
    };
  }
  return { messages, accepted: result.accepted.length, rejected: result.rejected };
}

/**
 * Splits an NDJSON body into items; a line that is not JSON becomes an UnparsedItem. A line over
 * `maxLineBytes` is not parsed at all (JSON.parse of megabytes would build a large object tree only
 * to reject it): it becomes an UnparsedItem naming its line and size.
 */
export function parseNdjson(body: string, maxLineBytes: number): unknown[] {
  const items: unknown[] = [];
  let start = 0;
  let lineNumber = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    const line = body.slice(start, end).trim();
    start = end + 1;
    lineNumber += 1;
    if (line.length === 0) continue;
    const bytes = utf8BytesOver(line, maxLineBytes);
    if (bytes !== undefined) {
      const message = `must be at most ${maxLineBytes} bytes (INGEST_MAX_EVENT_BYTES; got ${bytes} bytes on line ${lineNumber}, not parsed)`;
      items.push(new UnparsedItem(line, { field: ROOT_FIELD, message }));
      continue;
    }
    try {
      items.push(JSON.parse(line));
    } catch (err) {
      items.push(
        new UnparsedItem(line, {
          field: ROOT_FIELD,
          message: `is not valid JSON on line ${lineNumber} (${(err as Error).message})`,
        }),
      );
    }
  }
  return items;
}
