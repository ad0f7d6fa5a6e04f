import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatEventTime } from './event-time';
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
  // The runtime's dedupe: the same event_id with other content than the first (issue 14).
  'conflicting_duplicate',
  // The source's timestamp extractor gave no number.
  'invalid_timestamp',
  // The fraud-detector's traffic rules: a final 1 min record that is not an aggregate.
  'invalid_aggregate',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

const isoTime = z.iso.datetime({ offset: true });
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex');

/** A processor's cut of a payload above STREAMS_MAX_PAYLOAD_BYTES: size, hash and the first KiB. */
const payloadCut = {
  payload_truncated: z.literal(true).optional(),
  payload_bytes: z.int().min(0).optional(),
  payload_sha256: sha256Hex.optional(),
  payload_prefix: z.string().optional(),
};

/**
 * A message of clickstream.events.dlq.v1 (SPEC §2, §9): enough to find, understand and replay it.
 * Ingest writes it for invalid events (field = the first bad field); the processors' runtime for
 * records it could not process (field null: the record, not one field, failed; where it was read,
 * and how often it was tried); its outbox publisher for output the broker refused.
 */
export const deadLetterRecordSchema = z
  .strictObject({
    /** The payload as received: the parsed JSON value, or the raw text; null when a processor cut it (payload_*). */
    original: z.unknown(),
    /** Ingest's cut of an original too large for the record: its whole size and SHA-256; `original` is then its head. */
    original_cut: z.strictObject({ bytes: z.int().min(0), sha256: sha256Hex }).optional(),
    ...payloadCut,
    reason: z.enum(DEAD_LETTER_REASONS),
    /** The (first) bad field as a dotted path, `(root)` for the payload as a whole; null when no field is to blame. */
    field: z.string().min(1).nullable(),
    message: z.string(),
    /** Every issue, when validation found more than one. */
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
    /** Service that gave up on it, e.g. `ingest`, or a processor's application id. */
    source: z.string().min(1),
    failed_at: isoTime,
    /** Where a processor consumed it. */
    topic: z.string().min(1).optional(),
    partition: z.int().min(0).optional(),
    offset: z.string().regex(/^\d+$/).optional(),
    /** How often a processor tried it. */
    attempts: z.int().min(1).optional(),
    /** publish_rejected: the topic the refused output was for, and its outbox position. */
    target_topic: z.string().min(1).optional(),
    outbox_seq: z.int().min(0).optional(),
  })
  .meta({
    title: 'Clickstream dead letter (v1)',
    description: 'A record of clickstream.events.dlq.v1.',
  });

export type DeadLetterRecord = z.infer<typeof deadLetterRecordSchema>;

export const deadLetterJsonSchema: Record<string, unknown> = {
  $id: 'urn:clickstream:schema:dead-letter:v1',
  ...z.toJSONSchema(deadLetterRecordSchema, { target: 'draft-2020-12', unrepresentable: 'any' }),
};

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
export const LATE_REASONS = ['behind_watermark'] as const;

/**
 * A message of clickstream.late.v1 (SPEC §4), as the processors' runtime writes it: an event that
 * changed no result because it came behind the partition's watermark. Key: the event's key (user_id).
 */
export const lateEventRecordSchema = z
  .strictObject({
    /** The processor's application id (with KAFKA_TOPIC_PREFIX), e.g. `clickstream-aggregator`. */
    processor: z.string().min(1),
    reason: z.enum(LATE_REASONS),
    /** The event as read (a ClickEvent); null when its payload was cut (payload_*). */
    event: z.record(z.string(), z.unknown()).nullable(),
    ...payloadCut,
    event_time: isoTime,
    /** The partition's watermark when the event arrived. */
    watermark: isoTime,
    /** watermark − event_time. */
    lateness_ms: z.number().positive(),
    detected_at: isoTime,
    /** Where it was read. */
    source: z.strictObject({
      topic: z.string().min(1),
      partition: z.int().min(0),
      offset: z.string().regex(/^\d+$/),
    }),
  })
  .meta({ title: 'Clickstream late event (v1)', description: 'A record of clickstream.late.v1.' });

export type LateEventRecord = z.infer<typeof lateEventRecordSchema>;

export const lateEventJsonSchema: Record<string, unknown> = {
  $id: 'urn:clickstream:schema:late-event:v1',
  ...z.toJSONSchema(lateEventRecordSchema, { target: 'draft-2020-12' }),
};
