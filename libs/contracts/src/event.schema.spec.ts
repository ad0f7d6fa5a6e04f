import {
  ClickEvent,
  DEFAULT_MAX_FUTURE_MS,
  ValidateEventOptions,
  validateEvent,
} from './event.schema';
import { accepted, minimal, NOW, OPTS, refused } from '../test/validate-event';
import { ValidationIssue } from './validation-issue';

const valid = (raw: unknown, opts: ValidateEventOptions = OPTS): ClickEvent =>
  accepted(raw, opts).event;
const invalid = (raw: unknown, opts: ValidateEventOptions = OPTS): ValidationIssue[] =>
  refused(raw, opts);

describe('validateEvent: valid events', () => {
  it('normalises a minimal event and fills the defaults', () => {
    const event = {
      event_id: 'generated-id',
      event_time: '2019-10-01T00:00:00.000Z',
      event_type: 'view',
      user_id: 'u1',
      quantity: 1,
      currency: 'USD',
      properties: {},
      received_at: '2019-10-02T00:00:00.000Z',
    };
    expect(validateEvent(minimal, OPTS)).toEqual({
      ok: true,
      event,
      json: JSON.stringify(event),
      assignedId: true,
    });
  });

  it('keeps every contract field, renaming session_id to client_session_id', () => {
    const event = valid({
      event_id: 'evt-1',
      event_time: '2019-10-01T02:00:00.250+02:00',
      event_type: 'purchase',
      user_id: 'u1',
      session_id: 's-1',
      product_id: 'p-1',
      category_id: 'c-1',
      category_code: 'electronics.smartphone',
      brand: 'apple',
      price: 515.67,
      quantity: 2,
      currency: 'EUR',
      ip: '203.0.113.7',
      country: 'de',
      user_agent: 'Mozilla/5.0',
      page_url: 'https://shop.example/p/1',
      referrer: 'https://search.example/?q=phone',
      properties: { coupon: 'X1' },
    });
    expect(event).toEqual({
      event_id: 'evt-1',
      event_time: '2019-10-01T00:00:00.250Z',
      event_type: 'purchase',
      user_id: 'u1',
      client_session_id: 's-1',
      product_id: 'p-1',
      category_id: 'c-1',
      category_code: 'electronics.smartphone',
      brand: 'apple',
      price: 515.67,
      quantity: 2,
      currency: 'EUR',
      ip: '203.0.113.7',
      country: 'DE',
      user_agent: 'Mozilla/5.0',
      page_url: 'https://shop.example/p/1',
      referrer: 'https://search.example/?q=phone',
      properties: { coupon: 'X1' },
      received_at: '2019-10-02T00:00:00.000Z',
    });
  });

  it.each([
    ['add_to_cart', 'cart'],
    ['addtocart', 'cart'],
    ['transaction', 'purchase'],
    ['pageView', 'page_view'],
    ['remove_from_cart', 'remove_from_cart'],
  ])('stores the event type %s as %s', (input, canonical) => {
    expect(valid({ ...minimal, event_type: input }).event_type).toBe(canonical);
  });

  it.each([
    ['ISO-8601 with an offset', '2019-09-30T20:00:00-04:00'],
    ['ISO-8601 with Z', '2019-10-01T00:00:00Z'],
    ['the REES46 form', '2019-10-01 00:00:00 UTC'],
    ['epoch ms as a number', 1569888000000],
    ['epoch ms as a string', '1569888000000'],
  ])('accepts event_time as %s and stores UTC', (_label, eventTime) => {
    expect(valid({ ...minimal, event_time: eventTime }).event_time).toBe(
      '2019-10-01T00:00:00.000Z',
    );
  });

  it('stringifies numeric ids, as CSV and Retailrocket sources send them', () => {
    const event = valid({
      ...minimal,
      user_id: 541312140,
      product_id: 44600062,
      category_id: 2053013555,
      brand: 7,
    });
    expect(event).toMatchObject({
      user_id: '541312140',
      product_id: '44600062',
      category_id: '2053013555',
      brand: '7',
    });
  });

  it('treats null and "" in optional fields as absent', () => {
    const event = valid({
      ...minimal,
      event_id: null,
      session_id: '',
      product_id: null,
      brand: '',
      price: null,
      quantity: null,
      currency: null,
      country: null,
      referrer: '',
      properties: null,
    });
    expect(event).toEqual(valid(minimal));
  });

  it('assigns a ULID when event_id is absent, and keeps a given one', () => {
    const assigned = valid(minimal, { now: NOW });
    expect(assigned.event_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(valid(minimal, { now: NOW }).event_id).not.toBe(assigned.event_id);
    expect(valid({ ...minimal, event_id: 'mine' }, { now: NOW }).event_id).toBe('mine');
  });

  it('says which ids it minted (ingest marks those records)', () => {
    expect(accepted(minimal, { now: NOW }).assignedId).toBe(true);
    expect(accepted({ ...minimal, event_id: null }, { now: NOW }).assignedId).toBe(true);
    expect(accepted({ ...minimal, event_id: 'mine' }, { now: NOW }).assignedId).toBe(false);
  });

  it('stamps received_at from the options, else from now', () => {
    expect(valid(minimal, { ...OPTS, receivedAt: '2020-01-01T00:00:00.000Z' }).received_at).toBe(
      '2020-01-01T00:00:00.000Z',
    );
    expect(valid(minimal, { now: Date.parse('2019-10-01T12:34:56.789Z') }).received_at).toBe(
      '2019-10-01T12:34:56.789Z',
    );
  });

  it('defaults now to the wall clock', () => {
    const before = Date.now();
    const receivedAt = Date.parse(valid(minimal, {}).received_at);
    expect(receivedAt).toBeGreaterThanOrEqual(before);
    expect(receivedAt).toBeLessThanOrEqual(Date.now());
  });

  it('accepts a price of 0 and a purchase without a price', () => {
    expect(valid({ ...minimal, price: 0 }).price).toBe(0);
    expect(valid({ ...minimal, event_type: 'purchase' }).price).toBeUndefined();
  });
});

describe('validateEvent: unknown fields', () => {
  it('keeps unknown top-level fields in properties', () => {
    const event = valid({ ...minimal, transactionid: '8693.0', experiment: { arm: 'B' } });
    expect(event.properties).toEqual({ transactionid: '8693.0', experiment: { arm: 'B' } });
    expect(event).not.toHaveProperty('transactionid');
  });

  it('merges them with a given properties object, which wins on a clash', () => {
    const event = valid({ ...minimal, a: 1, b: 1, properties: { b: 2, c: 3 } });
    expect(event.properties).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('keeps client-sent received_at and client_session_id as properties, not as the stored fields', () => {
    const event = valid({
      ...minimal,
      received_at: '1999-01-01T00:00:00Z',
      client_session_id: 'x',
    });
    expect(event.received_at).toBe('2019-10-02T00:00:00.000Z');
    expect(event.client_session_id).toBeUndefined();
    expect(event.properties).toEqual({
      received_at: '1999-01-01T00:00:00Z',
      client_session_id: 'x',
    });
  });

  it('cannot be used to replace the prototype of properties', () => {
    const raw = JSON.parse(
      '{"event_time":0,"event_type":"view","user_id":"u","__proto__":{"polluted":1},"properties":{"__proto__":{"polluted":2}}}',
    );
    const event = valid(raw, { now: NOW });
    expect(Object.getPrototypeOf(event.properties)).toBe(Object.prototype);
    expect((event.properties as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('does not modify its input', () => {
    const raw = { ...minimal, extra: 1, properties: { a: 1 } };
    const copy = structuredClone(raw);
    valid(raw);
    expect(raw).toEqual(copy);
  });
});

describe('validateEvent: the future bound', () => {
  it('accepts an event up to 5 min after now and rejects one later', () => {
    expect(DEFAULT_MAX_FUTURE_MS).toBe(300_000);
    expect(valid({ ...minimal, event_time: NOW + DEFAULT_MAX_FUTURE_MS }).event_time).toBe(
      '2019-10-02T00:05:00.000Z',
    );
    expect(invalid({ ...minimal, event_time: '2019-10-02T00:05:00.001Z' })).toEqual([
      {
        field: 'event_time',
        message: 'must be at most 5 min in the future (got "2019-10-02T00:05:00.001Z")',
      },
    ]);
    // SPEC §2's example: 6 min ahead of received_at.
    expect(invalid({ ...minimal, event_time: NOW + 6 * 60_000 })[0].field).toBe('event_time');
  });

  it('uses maxFutureMs from the options', () => {
    const opts = { ...OPTS, maxFutureMs: 24 * 3_600_000 };
    expect(valid({ ...minimal, event_time: NOW + 24 * 3_600_000 }, opts).event_time).toBe(
      '2019-10-03T00:00:00.000Z',
    );
    expect(invalid({ ...minimal, event_time: NOW + 24 * 3_600_000 + 1 }, opts)).toEqual([
      { field: 'event_time', message: 'must be at most 24 h in the future (got 1570060800001)' },
    ]);
  });

  it('has no lower bound: old events are valid (they are late, not invalid)', () => {
    expect(valid({ ...minimal, event_time: '2015-06-01T21:12:12.535Z' }).event_time).toBe(
      '2015-06-01T21:12:12.535Z',
    );
  });
});

describe('validateEvent: invalid events name the field and the value', () => {
  const TYPES = 'page_view, view, click, search, cart, remove_from_cart, checkout, purchase';
  const TIME_FORMS =
    'ISO-8601 with an offset or Z, "YYYY-MM-DD HH:MM:SS UTC", or epoch milliseconds';

  it.each<[string, Record<string, unknown>, ValidationIssue]>([
    [
      'missing event_time',
      { event_time: undefined },
      { field: 'event_time', message: 'is required' },
    ],
    [
      'naive event_time',
      { event_time: '2019-10-01T00:00:00' },
      { field: 'event_time', message: `must be ${TIME_FORMS} (got "2019-10-01T00:00:00")` },
    ],
    [
      'impossible calendar date',
      { event_time: '2019-02-30 00:00:00 UTC' },
      {
        field: 'event_time',
        message: 'must be a valid calendar date and time (got "2019-02-30 00:00:00 UTC")',
      },
    ],
    [
      'boolean event_time',
      { event_time: true },
      { field: 'event_time', message: `must be ${TIME_FORMS} (got true)` },
    ],
    [
      'negative epoch',
      { event_time: -5 },
      { field: 'event_time', message: `must be ${TIME_FORMS} (got -5)` },
    ],
    [
      'missing event_type',
      { event_type: undefined },
      { field: 'event_type', message: 'is required' },
    ],
    [
      'unknown event_type',
      { event_type: 'foo' },
      { field: 'event_type', message: `must be one of ${TYPES} (got "foo")` },
    ],
    [
      'wrong-case event_type',
      { event_type: 'VIEW' },
      { field: 'event_type', message: `must be one of ${TYPES} (got "VIEW")` },
    ],
    ['missing user_id', { user_id: undefined }, { field: 'user_id', message: 'is required' }],
    [
      'empty user_id',
      { user_id: '' },
      { field: 'user_id', message: 'must be a string of 1–128 characters or an integer (got "")' },
    ],
    [
      'too long user_id',
      { user_id: 'u'.repeat(129) },
      {
        field: 'user_id',
        message: `must be a string of 1–128 characters or an integer (got "${'u'.repeat(64)}…")`,
      },
    ],
    [
      'user_id beyond the safe integers (digits already lost)',
      { user_id: 2103807459595387724 },
      {
        field: 'user_id',
        message: 'must be a string of 1–128 characters or an integer (got 2103807459595387600)',
      },
    ],
    [
      'object user_id',
      { user_id: { id: 1 } },
      {
        field: 'user_id',
        message: 'must be a string of 1–128 characters or an integer (got an object)',
      },
    ],
    [
      'empty event_id',
      { event_id: '' },
      { field: 'event_id', message: 'must be a string of 1–128 characters (got "")' },
    ],
    [
      'numeric event_id',
      { event_id: 12 },
      { field: 'event_id', message: 'must be a string of 1–128 characters (got 12)' },
    ],
    [
      'negative price',
      { price: -3 },
      { field: 'price', message: 'must be a number from 0 to 1000000000 (got -3)' },
    ],
    [
      'string price',
      { price: '9.99' },
      { field: 'price', message: 'must be a number from 0 to 1000000000 (got "9.99")' },
    ],
    [
      'zero quantity',
      { quantity: 0 },
      { field: 'quantity', message: 'must be an integer from 1 to 1000000 (got 0)' },
    ],
    [
      'fractional quantity',
      { quantity: 1.5 },
      { field: 'quantity', message: 'must be an integer from 1 to 1000000 (got 1.5)' },
    ],
    [
      'lower-case currency',
      { currency: 'usd' },
      {
        field: 'currency',
        message: 'must be an ISO-4217 code of 3 upper-case letters (got "usd")',
      },
    ],
    [
      'long currency',
      { currency: 'EURO' },
      {
        field: 'currency',
        message: 'must be an ISO-4217 code of 3 upper-case letters (got "EURO")',
      },
    ],
    [
      'alpha-3 country',
      { country: 'DEU' },
      { field: 'country', message: 'must be an ISO-3166 alpha-2 code of 2 letters (got "DEU")' },
    ],
    [
      'fractional product_id',
      { product_id: 1.5 },
      {
        field: 'product_id',
        message: 'must be a string of at most 128 characters or an integer (got 1.5)',
      },
    ],
    [
      'array brand',
      { brand: ['a'] },
      {
        field: 'brand',
        message: 'must be a string of at most 256 characters or an integer (got an array)',
      },
    ],
    [
      'numeric session_id',
      { session_id: 5 },
      { field: 'session_id', message: 'must be a string of at most 128 characters (got 5)' },
    ],
    [
      'numeric ip',
      { ip: 1 },
      { field: 'ip', message: 'must be a string of at most 64 characters (got 1)' },
    ],
    [
      'too long page_url',
      { page_url: 'x'.repeat(8193) },
      {
        field: 'page_url',
        message: `must be a string of at most 8192 characters (got "${'x'.repeat(64)}…")`,
      },
    ],
    [
      'array properties',
      { properties: [1] },
      { field: 'properties', message: 'must be an object (got an array)' },
    ],
    [
      'string properties',
      { properties: 'a=1' },
      { field: 'properties', message: 'must be an object (got "a=1")' },
    ],
  ])('%s', (_label, change, issue) => {
    expect(invalid({ ...minimal, ...change })).toEqual([issue]);
  });

  it.each([
    ['a string', 'hello', '"hello"'],
    ['null', null, 'null'],
    ['an array', [minimal], 'an array'],
    ['a number', 42, '42'],
    ['undefined', undefined, undefined],
  ])('rejects %s as the payload with field (root)', (_label, raw, shown) => {
    const message = shown === undefined ? 'is required' : `must be a JSON object (got ${shown})`;
    expect(invalid(raw)).toEqual([{ field: '(root)', message }]);
  });

  it('reports every bad field at once, in contract order', () => {
    expect(
      invalid({ event_type: 'foo', price: -1, country: 'x' }).map((issue) => issue.field),
    ).toEqual(['event_time', 'event_type', 'user_id', 'price', 'country']);
  });

  it('checks the future bound only once the event is otherwise valid', () => {
    expect(invalid({ ...minimal, event_time: '2030-01-01T00:00:00Z', price: -1 })).toEqual([
      { field: 'price', message: 'must be a number from 0 to 1000000000 (got -1)' },
    ]);
  });
});
