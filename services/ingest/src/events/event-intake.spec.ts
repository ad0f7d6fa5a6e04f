import { ASSIGNED_EVENT_ID_HEADER } from '@clickstream/contracts';
import {
  intake,
  intakeRecords,
  MAX_DEAD_LETTER_BYTES,
  parseNdjson,
  UnparsedItem,
} from './event-intake';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const OPTIONS = { now: NOW, maxFutureMs: 300_000, maxEventBytes: 65_536, source: 'ingest' };
const event = (userId: string) => ({
  event_time: '2026-11-22T09:59:00Z',
  event_type: 'view',
  user_id: userId,
});

describe('parseNdjson', () => {
  it('parses each non-empty line, and names the line of one that is not JSON', () => {
    const items = parseNdjson(
      `${JSON.stringify(event('a'))}\n\n  {"x":\n${JSON.stringify(event('b'))}`,
      1000,
    );
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual(event('a'));
    expect(items[1]).toBeInstanceOf(UnparsedItem);
    expect((items[1] as UnparsedItem).issue).toEqual({
      field: '(root)',
      message: expect.stringMatching(/^is not valid JSON on line 3 \(/),
    });
    expect(items[2]).toEqual(event('b'));
  });

  it('does not parse a line over the limit (UTF-8 bytes) and names its line and size', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      const long = JSON.stringify({ ...event('c'), pad: 'é'.repeat(600) });
      const items = parseNdjson(`${JSON.stringify(event('a'))}\n${long}\n`, 1000);
      expect(parse).toHaveBeenCalledTimes(1);
      expect(items[1]).toEqual(
        new UnparsedItem(long, {
          field: '(root)',
          message: `must be at most 1000 bytes (INGEST_MAX_EVENT_BYTES; got ${Buffer.byteLength(long)} bytes on line 2, not parsed)`,
        }),
      );
    } finally {
      parse.mockRestore();
    }
  });
});

describe('intake', () => {
  it('accepts valid events with the JSON to publish, and rejects the rest with a DLQ record each', () => {
    const oversized = { ...event('big'), pad: 'x'.repeat(70_000) };
    const unparsed = new UnparsedItem('{"x":', {
      field: '(root)',
      message: 'is not valid JSON on line 4 (...)',
    });
    const result = intake(
      [event('ok'), { ...event('nul'), user_id: 'nul\u0000user' }, oversized, unparsed],
      OPTIONS,
    );

    expect(result.acceptedAt).toEqual([0]);
    expect(JSON.parse(result.acceptedJson[0])).toEqual(result.accepted[0]);
    expect(result.accepted[0]).toMatchObject({
      user_id: 'ok',
      received_at: '2026-11-22T10:00:00.000Z',
    });
    expect(result.rejected).toEqual([
      {
        index: 1,
        field: 'user_id',
        message: 'must be text without NUL (U+0000) or lone surrogates (got "nul\\u0000user")',
      },
      {
        index: 2,
        field: '(root)',
        message: expect.stringMatching(/^must be at most 65536 bytes as stored \(got \d+ bytes\)$/),
      },
      { index: 3, field: '(root)', message: 'is not valid JSON on line 4 (...)' },
    ]);
    expect(result.deadLetters.map((d) => [d.reason, d.field, d.source])).toEqual([
      ['validation_failed', 'user_id', 'ingest'],
      ['validation_failed', '(root)', 'ingest'],
      ['validation_failed', '(root)', 'ingest'],
    ]);
    expect(result.deadLetters[2].original).toBe('{"x":');
  });

  it('applies the future bound of the options', () => {
    const ahead = { ...event('later'), event_time: '2026-11-22T10:06:00Z' };
    expect(intake([ahead], OPTIONS).rejected[0].field).toBe('event_time');
    expect(intake([ahead], { ...OPTIONS, maxFutureMs: 600_000 }).acceptedAt).toEqual([0]);
  });
});

describe('intakeRecords', () => {
  const topics = { events: 'events.v1', eventsDlq: 'events.dlq.v1' };

  it('publishes the accepted events keyed by user, then a DLQ record per rejected item', () => {
    const out = intakeRecords([event('a'), { event_type: 'view' }, event('b')], OPTIONS, topics);
    expect(out.accepted).toBe(2);
    expect(out.rejected).toEqual([expect.objectContaining({ index: 1 })]);
    expect(out.messages.map((m) => [m.topic, m.key])).toEqual([
      ['events.v1', 'a'],
      ['events.v1', 'b'],
      ['events.dlq.v1', null],
    ]);
    expect(JSON.parse(out.messages[0].value)).toMatchObject({ user_id: 'a', event_type: 'view' });
  });

  it('marks the events whose id it minted, and only those', () => {
    const out = intakeRecords(
      [event('a'), { ...event('b'), event_id: 'client-1' }],
      OPTIONS,
      topics,
    );
    expect(out.messages.map((m) => m.headers)).toEqual([
      [{ [ASSIGNED_EVENT_ID_HEADER]: '1' }],
      undefined,
    ]);
  });

  it('cuts a DLQ record to fit a Kafka message, however large the original', () => {
    const huge = new UnparsedItem('x'.repeat(2_000_000), {
      field: '(root)',
      message: 'is not JSON',
    });
    const [record] = intakeRecords([huge], OPTIONS, topics).messages;
    expect(record.topic).toBe('events.dlq.v1');
    expect(Buffer.byteLength(record.value)).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES);
  });
});
