import { ASSIGNED_EVENT_ID_HEADER, clickEventIdempotency, hash53 } from './event-idempotency';
import { ClickEvent, validateEvent } from './event.schema';

const stored = (input: Record<string, unknown>, receivedAt: string): Buffer => {
  const r = validateEvent(input, { now: Date.parse('2024-01-01T12:00:00Z'), receivedAt });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return Buffer.from(JSON.stringify(r.event));
};
const fingerprint = (raw: Buffer) =>
  clickEventIdempotency.fingerprint(JSON.parse(raw.toString()) as ClickEvent, raw);

describe('clickEventIdempotency', () => {
  const input = {
    event_id: 'e1',
    event_time: '2024-01-01T10:00:00Z',
    event_type: 'purchase',
    user_id: 'u1',
    price: 12.5,
    properties: { received_at: 'a property, not the stamp' },
  };

  it('gives a retry (another received_at) the same fingerprint, as a safe integer', () => {
    const first = fingerprint(stored(input, '2024-01-01T10:00:01.000Z'));
    expect(fingerprint(stored(input, '2024-01-01T11:30:00.000Z'))).toBe(first);
    expect(Number.isSafeInteger(first)).toBe(true);
  });

  it('tells other content apart, a received_at key inside properties included', () => {
    const at = '2024-01-01T10:00:01.000Z';
    const base = fingerprint(stored(input, at));
    expect(fingerprint(stored({ ...input, price: 12.51 }, at))).not.toBe(base);
    expect(
      fingerprint(stored({ ...input, properties: { received_at: 'another value' } }, at)),
    ).not.toBe(base);
    expect(fingerprint(stored({ ...input, event_type: 'view', price: undefined }, at))).not.toBe(
      base,
    );
  });

  it('hashes all of a record without a received_at, and only the bytes outside the skipped range', () => {
    const bytes = Buffer.from('abcdef');
    expect(hash53(bytes, 2, 4, 6)).toBe(hash53(Buffer.from('abXYef'), 2, 4, 6));
    expect(hash53(bytes, 6, 6, 6)).not.toBe(hash53(Buffer.from('abXYef'), 6, 6, 6));
    expect(
      clickEventIdempotency.id(
        JSON.parse(stored(input, '2024-01-01T10:00:01.000Z').toString()) as ClickEvent,
        {},
      ),
    ).toBe('e1');
  });

  it('has no id to remember for an event whose id ingest minted (marked by its header)', () => {
    const event = JSON.parse(stored(input, '2024-01-01T10:00:01.000Z').toString()) as ClickEvent;
    expect(clickEventIdempotency.id(event, { [ASSIGNED_EVENT_ID_HEADER]: Buffer.from('1') })).toBe(
      null,
    );
    expect(clickEventIdempotency.id(event, { other: Buffer.from('1') })).toBe('e1');
  });
});
