import { readFileSync } from 'node:fs';
import {
  DEAD_LETTER_JSON_SCHEMA_PATH,
  LATE_EVENT_JSON_SCHEMA_PATH,
  renderDeadLetterJsonSchema,
  renderLateEventJsonSchema,
} from './write-json-schema';
import { validateEvent } from './event.schema';
import { createHash } from 'node:crypto';
import {
  DEAD_LETTER_HEAD_CHARS,
  deadLetterJson,
  deadLetterKey,
  deadLetterRecord,
  eventKey,
  deadLetterRecordSchema,
  lateEventRecordSchema,
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

  // As libs/streams' task writes it (task.ts late()); the topology specs check the real output too.
  const written = {
    processor: 'clickstream-aggregator',
    reason: 'behind_watermark',
    event,
    event_time: '2019-10-01T00:00:00.000Z',
    watermark: '2019-10-01T00:05:00.000Z',
    lateness_ms: 300_000,
    detected_at: '2019-10-02T00:00:00.000Z',
    source: { topic: 'clickstream.events.v1', partition: 3, offset: '42' },
  };

  it('describes what the runtime writes: processor, reason, event, times, lateness and where it was read', () => {
    expect(lateEventRecordSchema.parse(written)).toEqual(written);
    const cut = {
      ...written,
      event: null,
      payload_truncated: true,
      payload_bytes: 600_000,
      payload_sha256: 'a'.repeat(64),
      payload_prefix: '{"event_time"',
    };
    expect(lateEventRecordSchema.parse(cut)).toEqual(cut);
  });

  it('fails on the drift it replaced: another reason, no lateness, a field it does not know', () => {
    expect(
      lateEventRecordSchema.safeParse({ ...written, reason: 'before_watermark' }).success,
    ).toBe(false);
    const { lateness_ms: _gone, ...noLateness } = written;
    expect(lateEventRecordSchema.safeParse(noLateness).success).toBe(false);
    expect(lateEventRecordSchema.safeParse({ ...written, partition: 3 }).success).toBe(false);
  });

  it('dead letters of ingest and of the runtime share one schema (field null when no field is to blame)', () => {
    const runtime = {
      original: 'not json',
      reason: 'deserialization_failed',
      field: null,
      message: 'Unexpected token',
      source: 'clickstream-sessionizer',
      failed_at: '2019-10-02T00:00:00.000Z',
      topic: 'clickstream.events.v1',
      partition: 1,
      offset: '7',
      attempts: 1,
    };
    expect(deadLetterRecordSchema.parse(runtime)).toEqual(runtime);
    expect(deadLetterRecordSchema.safeParse({ ...runtime, reason: 'gave_up' }).success).toBe(false);
  });

  it('keys events by user_id', () => {
    expect(eventKey(event)).toBe('u1');
  });
});

describe('committed JSON Schemas of the late and dead-letter records', () => {
  it.each([
    [LATE_EVENT_JSON_SCHEMA_PATH, renderLateEventJsonSchema],
    [DEAD_LETTER_JSON_SCHEMA_PATH, renderDeadLetterJsonSchema],
  ])(
    '%s is generated from its zod schema (run write-json-schema.ts after changing it)',
    (path, render) => {
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(JSON.parse(render()));
    },
  );
});
