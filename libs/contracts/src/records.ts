import { createHash } from 'node:crypto';
import { formatEventTime, parseEventTime } from './event-time';
import type { ClickEvent } from './event.schema';
import { utf8BytesOver } from './storable-value';
import { ROOT_FIELD, ValidationIssue } from './validation-issue';

/** Why a message went to clickstream.events.dlq.v1. */
export const DEAD_LETTER_REASONS = [
  'validation_failed',
  'deserialization_failed',
  'processing_failed',
  // A processor's database refused the record (found by isolating a refused commit; SQLSTATE in the message).
  'storage_rejected',
  // The broker refused an output record on its own (e.g. over max.message.bytes).
  'publish_rejected',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** A message of clickstream.events.dlq.v1 (SPEC §2, §9): enough to find, understand and replay it. */
export interface DeadLetterRecord {
  /**
   * The payload as received: the parsed JSON value, or the raw text when it could not be parsed.
   * When `original_cut` is set, only the head of its text (JSON for a parsed value).
   */
  original: unknown;
  /** Set when the original was too large for the record: the size and SHA-256 of its whole text. */
  original_cut?: { bytes: number; sha256: string };
  reason: DeadLetterReason;
  /** The (first) bad field as a dotted path; `(root)` when the payload as a whole is bad. */
  field: string;
  message: string;
  /** Every issue, when validation found more than one. */
  errors?: ValidationIssue[];
  /** Service that gave up on it, e.g. `ingest`, `sessionizer`. */
  source: string;
  failed_at: string;
  /** Where it was consumed from, when a processor dead-letters a Kafka message. */
  topic?: string;
  partition?: number;
  offset?: string;
}

export interface DeadLetterInput {
  original: unknown;
  reason: DeadLetterReason;
  field?: string;
  message: string;
  errors?: ValidationIssue[];
  source: string;
  /** Clock for failed_at (epoch ms). Default Date.now(). */
  now?: number;
  topic?: string;
  partition?: number;
  offset?: string;
}

/** Origin of a failure: who failed, when, and which Kafka message (if any). */
export type DeadLetterContext = Pick<
  DeadLetterInput,
  'source' | 'now' | 'topic' | 'partition' | 'offset'
>;

export function deadLetterRecord(input: DeadLetterInput): DeadLetterRecord {
  const record: DeadLetterRecord = {
    original: input.original,
    reason: input.reason,
    field: input.field ?? ROOT_FIELD,
    message: input.message,
    source: input.source,
    failed_at: formatEventTime(input.now ?? Date.now()),
  };
  // Optional keys are left out rather than set to undefined, so records compare and log cleanly.
  if (input.errors !== undefined) record.errors = input.errors;
  if (input.topic !== undefined) record.topic = input.topic;
  if (input.partition !== undefined) record.partition = input.partition;
  if (input.offset !== undefined) record.offset = input.offset;
  return record;
}

/** DLQ record of an event validateEvent rejected: field and message of the first issue, all issues kept. */
export function validationDeadLetter(
  original: unknown,
  errors: readonly ValidationIssue[],
  context: DeadLetterContext,
): DeadLetterRecord {
  if (errors.length === 0) throw new Error('validationDeadLetter needs at least one issue');
  const [first] = errors;
  return deadLetterRecord({
    ...context,
    original,
    reason: 'validation_failed',
    field: first.field,
    message: first.message,
    errors: [...errors],
  });
}

/** How much of a cut original a DLQ record keeps: enough to recognise it. */
export const DEAD_LETTER_HEAD_CHARS = 4096;

/**
 * The JSON of a DLQ record in at most about `maxBytes` (UTF-8). A larger one would be refused by
 * Kafka and fail the whole batch it travels in, so its original is cut to a head, and the record
 * keeps the original's size and SHA-256 (`original_cut`) to match it against the client's copy.
 */
export function deadLetterJson(record: DeadLetterRecord, maxBytes: number): string {
  const json = JSON.stringify(record);
  if (utf8BytesOver(json, maxBytes) === undefined) return json;
  const text =
    typeof record.original === 'string'
      ? record.original
      : (JSON.stringify(record.original) ?? String(record.original));
  let head = text.slice(0, Math.min(DEAD_LETTER_HEAD_CHARS, Math.floor(maxBytes / 8)));
  // Do not end on half a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const cut: DeadLetterRecord = {
    ...record,
    original: head,
    original_cut: { bytes: Buffer.byteLength(text), sha256 },
  };
  return JSON.stringify(cut);
}

/** Kafka key of a ClickEvent: all of a user's events go to one partition. */
export function eventKey(event: Pick<ClickEvent, 'user_id'>): string {
  return event.user_id;
}

/**
 * Kafka key of a DLQ record: the original's user_id when it has a usable one (string or integer,
 * as the contract accepts), else null so the producer spreads unkeyed records.
 */
export function deadLetterKey(original: unknown): string | null {
  if (typeof original !== 'object' || original === null || Array.isArray(original)) return null;
  const userId = (original as { user_id?: unknown }).user_id;
  if (typeof userId === 'string' && userId.length > 0) return userId;
  if (typeof userId === 'number' && Number.isSafeInteger(userId)) return String(userId);
  return null;
}

/** The reason SPEC §4 defines: the event was older than the partition's watermark on arrival. */
export const LATE_BEFORE_WATERMARK = 'before_watermark';

/** A message of clickstream.late.v1: an event that changed no result because it came too late. */
export interface LateEventRecord {
  /** Service that dropped it, e.g. `sessionizer`, `aggregator`, `fraud-detector`. */
  processor: string;
  reason: string;
  event: ClickEvent;
  event_time: string;
  watermark: string;
  /** How far behind the watermark the event was. */
  lateness_ms: number;
  detected_at: string;
  partition?: number;
}

export interface LateEventInput {
  processor: string;
  event: ClickEvent;
  /** The partition's watermark when the event arrived (epoch ms). */
  watermarkMs: number;
  /** Default {@link LATE_BEFORE_WATERMARK}. */
  reason?: string;
  partition?: number;
  /** Clock for detected_at (epoch ms). Default Date.now(). */
  now?: number;
}

export function lateEventRecord(input: LateEventInput): LateEventRecord {
  const eventTimeMs = parseEventTime(input.event.event_time);
  if (eventTimeMs === undefined)
    throw new Error(`not a stored event time: ${input.event.event_time}`);
  const record: LateEventRecord = {
    processor: input.processor,
    reason: input.reason ?? LATE_BEFORE_WATERMARK,
    event: input.event,
    event_time: input.event.event_time,
    watermark: formatEventTime(input.watermarkMs),
    lateness_ms: input.watermarkMs - eventTimeMs,
    detected_at: formatEventTime(input.now ?? Date.now()),
  };
  if (input.partition !== undefined) record.partition = input.partition;
  return record;
}

/** Kafka key of a late-event record: the event's user, like the event itself. */
export function lateEventKey(record: LateEventRecord): string {
  return record.event.user_id;
}
