import { createHash } from 'node:crypto';

/** Where a late or dead-lettered record came from, and how much of its payload to carry. */
export interface ErrorRecordSource {
  processor: string;
  topic: string;
  partition: number;
  offset: string;
  /** The record's value as consumed. */
  value: Buffer | null;
  /** Above this many bytes the payload is cut (default 512 KiB). */
  maxPayloadBytes?: number;
}

const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;

/**
 * The late record (SPEC §4) the runtime writes to the late topic; the shape is the contracts'
 * late-event record, which the fault suite checks every record against.
 */
export function lateRecordValue(
  source: ErrorRecordSource,
  parsed: unknown,
  eventTime: number,
  watermark: number,
  detectedAt: number,
): string {
  return JSON.stringify({
    processor: source.processor,
    reason: 'behind_watermark',
    ...payload('event', source, parsed),
    event_time: new Date(eventTime).toISOString(),
    watermark: new Date(watermark).toISOString(),
    lateness_ms: watermark - eventTime,
    detected_at: new Date(detectedAt).toISOString(),
    source: { topic: source.topic, partition: source.partition, offset: source.offset },
  });
}

/** The dead letter (SPEC §9) of a record that could not be processed or stored, with the reason. */
export function deadLetterValue(
  source: ErrorRecordSource,
  failure: { reason: string; message: string; attempts: number },
  failedAt: number,
): string {
  return JSON.stringify({
    ...payload('original', source),
    reason: failure.reason,
    // Processing failures are about the record, not one field; ingest's validation names fields.
    field: null,
    message: failure.message,
    source: source.processor,
    failed_at: new Date(failedAt).toISOString(),
    topic: source.topic,
    partition: source.partition,
    offset: source.offset,
    attempts: failure.attempts,
  });
}

/**
 * The original payload under `field` (parsed value for late records, raw text for dead letters),
 * or, above maxPayloadBytes, a cut prefix with the full size and hash, so the record stays under
 * the broker's message limit.
 */
function payload(
  field: 'event' | 'original',
  source: ErrorRecordSource,
  parsed?: unknown,
): Record<string, unknown> {
  const value = source.value;
  const bytes = value?.length ?? 0;
  if (bytes <= (source.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES)) {
    return { [field]: parsed !== undefined ? parsed : (value?.toString('utf8') ?? null) };
  }
  return {
    [field]: null,
    payload_truncated: true,
    payload_bytes: bytes,
    payload_sha256: createHash('sha256').update(value!).digest('hex'),
    payload_prefix: value!.subarray(0, 1024).toString('utf8'),
  };
}
