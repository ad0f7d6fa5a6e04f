import fc from 'fast-check';
import {
  DEFAULT_MAX_EVENT_BYTES,
  MAX_PRICE,
  MAX_QUANTITY,
  ValidateEventOptions,
  validateEvent,
} from './event.schema';
import { accepted, minimal, NOW, OPTS, refused } from '../test/validate-event';
import { MAX_PROPERTIES_DEPTH, isStorableText } from './storable-value';
import { ValidationIssue } from './validation-issue';

/** SPEC §2: an accepted event must be storable by every processor. One spec per rule. */

const TEXT = 'text without NUL (U+0000) or lone surrogates';
const issues = refused;
const accepts = (raw: unknown, opts: ValidateEventOptions = OPTS): string =>
  accepted(raw, opts).json;

/** Nests `leaf` in `levels` objects: nest(2, 1) is {"k":{"k":1}}. */
function nest(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
}

describe('storable strings: no NUL, no lone surrogate, in any field', () => {
  const STRING_FIELDS = [
    'event_id',
    'user_id',
    'session_id',
    'product_id',
    'category_id',
    'category_code',
    'brand',
    'ip',
    'user_agent',
    'page_url',
    'referrer',
  ];

  it.each(STRING_FIELDS)('%s with a NUL names the field and shows the value escaped', (field) => {
    expect(issues({ ...minimal, [field]: 'nul\u0000user' })).toEqual([
      { field, message: `must be ${TEXT} (got "nul\\u0000user")` },
    ]);
  });

  it.each([
    ['a lone high surrogate', 'sur\ud800x', '"sur\\ud800x"'],
    ['a lone low surrogate', 'x\udc00', '"x\\udc00"'],
    ['a pair in the wrong order', '\udc00\ud800', '"\\udc00\\ud800"'],
  ])('user_id with %s is rejected, the value escaped', (_label, value, shown) => {
    expect(issues({ ...minimal, user_id: value })).toEqual([
      { field: 'user_id', message: `must be ${TEXT} (got ${shown})` },
    ]);
  });

  it('accepts surrogate pairs and other unicode', () => {
    const json = accepts({ ...minimal, user_id: 'ü-😀-中', properties: { 'ключ 🔑': '€ \u2028' } });
    expect(JSON.parse(json)).toMatchObject({
      user_id: 'ü-😀-中',
      properties: { 'ключ 🔑': '€ \u2028' },
    });
  });

  it('catches what JSON.parse makes of "\\ud800" and "\\u0000" escapes', () => {
    const surrogate = JSON.parse('{"event_time":0,"event_type":"view","user_id":"sur\\ud800x"}');
    expect(issues(surrogate)[0].field).toBe('user_id');
    const nul = JSON.parse(
      '{"event_time":0,"event_type":"view","user_id":"ok","properties":{"a":"x\\u0000y"}}',
    );
    expect(issues(nul)).toEqual([
      { field: 'properties.a', message: `must be ${TEXT} (got "x\\u0000y")` },
    ]);
  });

  it('truncates a long bad value as every message does', () => {
    const [issue] = issues({ ...minimal, page_url: `${'x'.repeat(100)}\u0000` });
    expect(issue).toEqual({
      field: 'page_url',
      message: `must be ${TEXT} (got "${'x'.repeat(64)}…")`,
    });
  });
});

describe('storable properties: values and keys at any depth, unknown fields too', () => {
  it.each<[string, Record<string, unknown>, ValidationIssue]>([
    [
      'a nested value',
      { properties: { a: { b: ['ok', 'x\ud800'] } } },
      { field: 'properties.a.b.1', message: `must be ${TEXT} (got "x\\ud800")` },
    ],
    [
      'a key, named on the object holding it',
      { properties: { a: { 'k\u0000': 1 } } },
      { field: 'properties.a', message: `must have keys that are ${TEXT} (got key "k\\u0000")` },
    ],
    [
      'a top-level key of properties',
      { properties: { '\udc00': 1 } },
      { field: 'properties', message: `must have keys that are ${TEXT} (got key "\\udc00")` },
    ],
    [
      'an unknown top-level field (it ends up in properties)',
      { extra: 'x\u0000' },
      { field: 'extra', message: `must be ${TEXT} (got "x\\u0000")` },
    ],
    [
      'a value inside an unknown top-level field',
      { extra: { list: [{ v: '\ud800' }] } },
      { field: 'extra.list.0.v', message: `must be ${TEXT} (got "\\ud800")` },
    ],
    [
      'an unknown top-level key',
      { 'bad\u0000key': 1 },
      { field: '(root)', message: `must have keys that are ${TEXT} (got key "bad\\u0000key")` },
    ],
  ])('%s', (_label, change, issue) => {
    expect(issues({ ...minimal, ...change })).toEqual([issue]);
  });

  it('reports one issue per properties object and one for all unknown fields, not one per bad string', () => {
    const bad = Array.from({ length: 1000 }, () => '\u0000');
    const found = issues({ ...minimal, a: bad, b: bad, properties: { c: bad, d: bad } });
    expect(found.map((i) => i.field)).toEqual(['properties.c.0', 'a.0']);
  });

  it('names a value JSON has no form for, from JavaScript callers', () => {
    expect(issues({ ...minimal, properties: { n: 10n } })).toEqual([
      { field: 'properties.n', message: 'must be a JSON value (got 10n)' },
    ]);
  });
});

describe(`properties nest at most ${MAX_PROPERTIES_DEPTH} levels deep`, () => {
  it('accepts 8 levels (properties is level 1) and rejects the 9th, naming its path', () => {
    accepts({ ...minimal, properties: nest(8, 'leaf') });
    expect(issues({ ...minimal, properties: nest(9, 'leaf') })).toEqual([
      {
        field: 'properties.k.k.k.k.k.k.k.k',
        message: 'must be nested at most 8 levels deep in properties (got an object)',
      },
    ]);
  });

  it('counts arrays as levels too', () => {
    accepts({ ...minimal, properties: { a: [[[[[[['leaf']]]]]]] } });
    expect(issues({ ...minimal, properties: { a: [[[[[[[['leaf']]]]]]]] } })[0]).toEqual({
      field: 'properties.a.0.0.0.0.0.0.0',
      message: 'must be nested at most 8 levels deep in properties (got an array)',
    });
  });

  it('counts an unknown top-level field as a member of properties (level 2)', () => {
    accepts({ ...minimal, extra: nest(7, 1) });
    expect(issues({ ...minimal, extra: nest(8, 1) })[0].field).toBe('extra.k.k.k.k.k.k.k');
  });

  it('rejects a cycle (only JavaScript callers can make one) instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(issues({ ...minimal, properties: cyclic })[0].message).toContain('8 levels deep');
  });
});

describe('price and quantity bounds keep sums storable', () => {
  it('accepts the bounds themselves', () => {
    expect(
      JSON.parse(accepts({ ...minimal, price: MAX_PRICE, quantity: MAX_QUANTITY })),
    ).toMatchObject({
      price: 1_000_000_000,
      quantity: 1_000_000,
    });
  });

  it.each<[string, Record<string, unknown>, ValidationIssue]>([
    [
      'price 1e17',
      { price: 1e17 },
      { field: 'price', message: 'must be a number from 0 to 1000000000 (got 100000000000000000)' },
    ],
    [
      'price just over 1e9',
      { price: 1_000_000_000.01 },
      { field: 'price', message: 'must be a number from 0 to 1000000000 (got 1000000000.01)' },
    ],
    [
      'quantity over 1e6',
      { quantity: 1_000_001 },
      { field: 'quantity', message: 'must be an integer from 1 to 1000000 (got 1000001)' },
    ],
  ])('%s is rejected', (_label, change, issue) => {
    expect(issues({ ...minimal, event_type: 'purchase', ...change })).toEqual([issue]);
  });
});

describe('the event as stored is at most maxEventBytes (default 64 KiB)', () => {
  /** An event whose stored JSON is exactly `bytes` long, padded in properties with `unit`s. */
  function eventOfStoredSize(bytes: number, unit = 'x') {
    const base = Buffer.byteLength(accepts({ ...minimal, properties: { pad: '' } }));
    const unitBytes = Buffer.byteLength(unit);
    const units = Math.floor((bytes - base) / unitBytes);
    const pad = unit.repeat(units) + 'x'.repeat(bytes - base - units * unitBytes);
    return { ...minimal, properties: { pad } };
  }

  it('accepts exactly 65,536 bytes and rejects one more as an invalid event of field (root)', () => {
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(65_536);
    expect(Buffer.byteLength(accepts(eventOfStoredSize(65_536)))).toBe(65_536);
    expect(issues(eventOfStoredSize(65_537))).toEqual([
      { field: '(root)', message: 'must be at most 65536 bytes as stored (got 65537 bytes)' },
    ]);
  });

  it('counts UTF-8 bytes of the normalised JSON, and takes the bound from the options', () => {
    const opts = { ...OPTS, maxEventBytes: 2000 };
    // 2000 bytes of mostly 3-byte characters: far fewer than 2000 UTF-16 units.
    expect(Buffer.byteLength(accepts(eventOfStoredSize(2000, '€'), opts))).toBe(2000);
    expect(issues(eventOfStoredSize(2001, '€'), opts)[0].message).toBe(
      'must be at most 2000 bytes as stored (got 2001 bytes)',
    );
  });

  it('returns the stored JSON, so callers publish exactly what was measured', () => {
    const result = validateEvent({ ...minimal, extra: 1 }, OPTS);
    expect(result.ok && result.json).toBe(result.ok && JSON.stringify(result.event));
  });
});

describe('property: whatever validateEvent accepts is storable', () => {
  const nastyChar = fc.constantFrom('\u0000', '\ud800', '\udfff', '😀', 'é', '"', '\\', '\n', 'a');
  const nastyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 8 }),
    fc.array(nastyChar, { maxLength: 6 }).map((cs) => cs.join('')),
  );
  const json = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      nastyString,
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(nastyString, tie('value'), { maxKeys: 3 }),
    ),
  })).value;
  const eventLike = fc.record(
    {
      event_time: fc.constantFrom('2019-10-01T00:00:00Z', NOW, NOW + 299_999),
      event_type: fc.constantFrom('view', 'purchase', 'cart'),
      user_id: nastyString,
      product_id: fc.oneof(nastyString, fc.integer()),
      price: fc.oneof(fc.double({ min: 0 }), fc.constant(1e17)),
      quantity: fc.oneof(fc.integer({ min: 1 }), fc.constant(MAX_QUANTITY)),
      properties: fc.dictionary(nastyString, json, { maxKeys: 4 }),
    },
    { requiredKeys: ['event_time', 'event_type', 'user_id'] },
  );
  const withExtras = fc
    .tuple(eventLike, fc.dictionary(nastyString, json, { maxKeys: 3 }))
    .map(([event, extras]) => ({ ...extras, ...event }));

  it('accepted events have only storable strings and keys, bounded numbers, depth and size', () => {
    fc.assert(
      fc.property(withExtras, (raw) => {
        const result = validateEvent(raw, { ...OPTS, maxEventBytes: 4096 });
        if (!result.ok) return;
        expect(Buffer.byteLength(result.json)).toBeLessThanOrEqual(4096);
        const event = result.event;
        expect(event.price ?? 0).toBeLessThanOrEqual(MAX_PRICE);
        expect(event.quantity ?? 1).toBeLessThanOrEqual(MAX_QUANTITY);
        expect(unstorableIn(event, 0)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

/** Independent re-statement of the rules: the first unstorable string or too-deep container. */
function unstorableIn(value: unknown, level: number): string | undefined {
  if (typeof value === 'string')
    return isStorableText(value) ? undefined : `string ${JSON.stringify(value)}`;
  if (typeof value !== 'object' || value === null) return undefined;
  // The event is level 0 and properties level 1, so containers inside properties are levels 2 and up.
  if (level > MAX_PROPERTIES_DEPTH) return `too deep: ${JSON.stringify(value)}`;
  for (const [key, inner] of Object.entries(value)) {
    if (!isStorableText(key)) return `key ${JSON.stringify(key)}`;
    const found = unstorableIn(inner, level + 1);
    if (found) return found;
  }
  return undefined;
}
