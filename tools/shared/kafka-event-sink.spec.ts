import { DeadLetterRecord, TOPICS } from '@clickstream/contracts';
import { buildKafkaBatch, parseBrokers } from './kafka-event-sink';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const opts = { topic: TOPICS.events, dlqTopic: TOPICS.eventsDlq, source: 'replay', now: NOW };

describe('buildKafkaBatch (what the Kafka sink produces)', () => {
  const valid = {
    event_id: 'e1',
    event_time: '2024-12-31 23:00:00 UTC',
    event_type: 'add_to_cart',
    user_id: 42,
    price: 5,
    coupon: 'X',
  };
  const invalid = { event_time: 'yesterday', event_type: 'teleport', user_id: 'u9' };

  it('sends valid events normalised, keyed by user_id, and invalid ones as DLQ records', () => {
    const { topicMessages, result } = buildKafkaBatch([valid, invalid, 'not an object'], opts);
    expect(result).toEqual({
      accepted: 1,
      rejected: 2,
      errors: [
        { index: 1, field: 'event_time', message: expect.stringMatching(/^must be ISO-8601/) },
        { index: 2, field: '(root)', message: expect.stringMatching(/^must be a JSON object/) },
      ],
    });
    expect(topicMessages.map((t) => [t.topic, t.messages.length])).toEqual([
      [TOPICS.events, 1],
      [TOPICS.eventsDlq, 2],
    ]);

    const [event] = topicMessages[0].messages;
    expect(event.key).toBe('42');
    expect(JSON.parse(String(event.value))).toEqual({
      event_id: 'e1',
      event_time: '2024-12-31T23:00:00.000Z',
      event_type: 'cart',
      user_id: '42',
      price: 5,
      quantity: 1,
      currency: 'USD',
      properties: { coupon: 'X' },
      received_at: '2025-01-01T00:00:00.000Z',
    });

    const [dead, deadRoot] = topicMessages[1].messages;
    expect(dead.key).toBe('u9');
    expect(deadRoot.key).toBeNull();
    const record = JSON.parse(String(dead.value)) as DeadLetterRecord;
    expect(record).toMatchObject({
      original: invalid,
      reason: 'validation_failed',
      field: 'event_time',
      source: 'replay',
      failed_at: '2025-01-01T00:00:00.000Z',
    });
    expect(record.errors?.map((e) => e.field)).toEqual(['event_time', 'event_type']);
  });

  it('leaves out a topic with nothing to send', () => {
    expect(buildKafkaBatch([valid], opts).topicMessages.map((t) => t.topic)).toEqual([
      TOPICS.events,
    ]);
    expect(buildKafkaBatch([], opts)).toEqual({
      topicMessages: [],
      result: { accepted: 0, rejected: 0, errors: [] },
    });
  });

  it('applies the future bound like ingest', () => {
    const future = { ...valid, event_time: NOW + 25 * 3600_000 };
    expect(buildKafkaBatch([future], opts).result.rejected).toBe(1);
    expect(buildKafkaBatch([future], { ...opts, maxFutureMs: 48 * 3600_000 }).result.accepted).toBe(
      1,
    );
  });
});

describe('parseBrokers', () => {
  it('splits host:port lists', () => {
    expect(parseBrokers('127.0.0.1:19092')).toEqual(['127.0.0.1:19092']);
    expect(parseBrokers(' a:1 , b.example:9092,')).toEqual(['a:1', 'b.example:9092']);
  });
  it.each(['', 'localhost', 'a:0', 'a:99999', 'a:b', 'a b:1'])('refuses %p', (list) => {
    expect(() => parseBrokers(list)).toThrow(RangeError);
  });
});
