import { validateEvent } from './event.schema';
import { createHash } from 'node:crypto';
import {
  DEAD_LETTER_HEAD_CHARS,
  deadLetterJson,
  deadLetterKey,
  deadLetterRecord,
  eventKey,
  lateEventKey,
  lateEventRecord,
  validationDeadLetter,
} from './records';

const NOW = Date.parse('2019-10-02T00:00:00.000Z');

describe('deadLetterJson: a DLQ record that fits a Kafka message', () => {
  const base = {
    reason: 'validation_failed' as const,
    message: 'must be ...',
    source: 'ingest',
    now: NOW,
  };

  it('is the plain JSON of a record under the bound', () => {
    const record = deadLetterRecord({ ...base, original: { user_id: 'u1', pad: 'x'.repeat(100) } });
    expect(deadLetterJson(record, 1000)).toBe(JSON.stringify(record));
  });

  it('cuts a larger original to a head and keeps its size and SHA-256', () => {
    const original = { user_id: 'u1', pad: 'é'.repeat(50_000) };
    const text = JSON.stringify(original);
    const json = deadLetterJson(deadLetterRecord({ ...base, original }), 20_000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(20_000);
    expect(JSON.parse(json)).toEqual({
      original: text.slice(0, 2500),
      original_cut: {
        bytes: Buffer.byteLength(text),
        sha256: createHash('sha256').update(text).digest('hex'),
      },
      reason: 'validation_failed',
      field: '(root)',
      message: 'must be ...',
      source: 'ingest',
      failed_at: '2019-10-02T00:00:00.000Z',
    });
  });

  it('cuts raw text as it is, at most DEAD_LETTER_HEAD_CHARS, never inside a surrogate pair', () => {
    const original = `${'a'.repeat(DEAD_LETTER_HEAD_CHARS - 1)}😀${'b'.repeat(900_000)}`;
    const parsed = JSON.parse(deadLetterJson(deadLetterRecord({ ...base, original }), 900_000)) as {
      original: string;
    };
    expect(parsed.original).toBe('a'.repeat(DEAD_LETTER_HEAD_CHARS - 1));
  });
});

describe('dead-letter records', () => {
  it('carries the original payload, the reason, the first field, all issues and the time', () => {
    const original = { event_time: '2019-10-01T00:00:00', event_type: 'foo', user_id: 541312140 };
    const result = validateEvent(original, { now: NOW });
    if (result.ok) throw new Error('expected an invalid event');

    expect(validationDeadLetter(original, result.errors, { source: 'ingest', now: NOW })).toEqual({
      original,
      reason: 'validation_failed',
      field: 'event_time',
      message: result.errors[0].message,
      errors: result.errors,
      source: 'ingest',
      failed_at: '2019-10-02T00:00:00.000Z',
    });
  });

  it('records where a processor consumed a poison message', () => {
    const record = deadLetterRecord({
      original: '{"event_time":',
      reason: 'deserialization_failed',
      message: 'Unexpected end of JSON input',
      source: 'sessionizer',
      now: NOW,
      topic: 'clickstream.events.v1',
      partition: 2,
      offset: '1041',
    });
    expect(record).toEqual({
      original: '{"event_time":',
      reason: 'deserialization_failed',
      field: '(root)',
      message: 'Unexpected end of JSON input',
      source: 'sessionizer',
      failed_at: '2019-10-02T00:00:00.000Z',
      topic: 'clickstream.events.v1',
      partition: 2,
      offset: '1041',
    });
  });

  it('needs at least one issue for a validation failure', () => {
    expect(() => validationDeadLetter({}, [], { source: 'ingest' })).toThrow('at least one issue');
  });

  it.each([
    [{ user_id: 'u1' }, 'u1'],
    [{ user_id: 541312140 }, '541312140'],
    [{ user_id: '' }, null],
    [{ user_id: 1.5 }, null],
    [{ user_id: { id: 1 } }, null],
    [{}, null],
    [[{ user_id: 'u1' }], null],
    ['{"user_id":"u1"', null],
    [null, null],
  ])('is keyed by user_id when known: %p -> %p', (original, key) => {
    expect(deadLetterKey(original)).toBe(key);
  });
});

describe('late-event records', () => {
  const result = validateEvent(
    { event_time: '2019-10-01T00:00:00Z', event_type: 'view', user_id: 'u1', event_id: 'e1' },
    { now: NOW },
  );
  if (!result.ok) throw new Error('expected a valid event');
  const event = result.event;

  it('carries the processor, reason, event, event time, watermark and how late it was', () => {
    const record = lateEventRecord({
      processor: 'aggregator',
      event,
      watermarkMs: Date.parse('2019-10-01T00:05:00Z'),
      partition: 3,
      now: NOW,
    });
    expect(record).toEqual({
      processor: 'aggregator',
      reason: 'before_watermark',
      event,
      event_time: '2019-10-01T00:00:00.000Z',
      watermark: '2019-10-01T00:05:00.000Z',
      lateness_ms: 300_000,
      detected_at: '2019-10-02T00:00:00.000Z',
      partition: 3,
    });
    expect(lateEventKey(record)).toBe('u1');
  });

  it('takes another reason when given', () => {
    const record = lateEventRecord({
      processor: 'sessionizer',
      event,
      watermarkMs: NOW,
      reason: 'session_closed',
    });
    expect(record.reason).toBe('session_closed');
    expect(record).not.toHaveProperty('partition');
  });

  it('keys events by user_id', () => {
    expect(eventKey(event)).toBe('u1');
  });
});
