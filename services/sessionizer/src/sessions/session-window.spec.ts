import fc from 'fast-check';
import { ClickEvent, EVENT_TYPES } from '@clickstream/contracts';
import { ByteFormatError, ByteReader, ByteWriter, PoisonError } from '@clickstream/streams';
import {
  addToSession,
  initialSession,
  internedSessionEvents,
  memoSessionId,
  SessionAggregate,
  SessionEvent,
  sessionBytesCodec,
  sessionEventsCodec,
  sessionId,
  toSessionEvent,
  toSessionRow,
} from './session-window';

const CSID = '6f1c2a9e-0b7d-4c55-9a5e-2f3c1d0e8b71';
const roundTrip = (events: SessionEvent[]) =>
  sessionEventsCodec.decode(JSON.parse(JSON.stringify(sessionEventsCodec.encode(events))));

describe('sessionEventsCodec: the stored form of a session tail', () => {
  it('stores one client session id once for a tail that shares it', () => {
    const events: SessionEvent[] = [
      { type: 'view', csid: CSID },
      { type: 'cart', csid: CSID },
      { type: 'purchase', cents: 1999, csid: CSID },
    ];
    const encoded = sessionEventsCodec.encode(events);
    expect(encoded).toEqual({
      t: events.map((e) => EVENT_TYPES.indexOf(e.type)),
      k: [CSID],
      c: [[2, 1999]],
    });
    expect(JSON.stringify(encoded).length).toBeLessThan(JSON.stringify(events).length / 2);
    expect(roundTrip(events)).toEqual(events);
  });

  it('keeps events without a client session id, and mixed ids, apart', () => {
    const events: SessionEvent[] = [
      { type: 'view' },
      { type: 'view', csid: 'a' },
      { type: 'cart', csid: 'b' },
      { type: 'purchase', cents: 0 },
    ];
    expect(sessionEventsCodec.encode(events)).toMatchObject({
      k: ['a', 'b'],
      i: [-1, 0, 1, -1],
      c: [[3, 0]],
    });
    expect(roundTrip(events)).toEqual(events);
    expect(roundTrip([])).toEqual([]);
  });

  it('decodes what it encodes, for any tail', () => {
    const event = fc.record(
      {
        type: fc.constantFrom(...EVENT_TYPES),
        cents: fc.integer({ min: 0, max: 1e12 }),
        csid: fc.constantFrom('a', 'b', CSID),
      },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) =>
        expect(roundTrip(events)).toEqual(events),
      ),
    );
  });

  it('refuses an event type it cannot store', () => {
    expect(() => sessionEventsCodec.encode([{ type: 'teleport' as never }])).toThrow(
      'unknown event_type "teleport"',
    );
  });
});

describe('sessionBytesCodec: the session state as bytes', () => {
  const tailRoundTrip = (events: SessionEvent[]) => {
    const out = new ByteWriter();
    sessionBytesCodec.tail.write(out, events);
    const input = new ByteReader(out.bytes());
    const back = sessionBytesCodec.tail.read(input, events.length);
    expect(input.done).toBe(true);
    return back;
  };
  const aggregateRoundTrip = (agg: SessionAggregate) => {
    const out = new ByteWriter();
    sessionBytesCodec.aggregate.write(out, agg);
    return sessionBytesCodec.aggregate.read(new ByteReader(out.bytes()));
  };

  it('reads back any tail: types, cents (integers and not) and client session ids, or none', () => {
    const event = fc.record(
      {
        type: fc.constantFrom(...EVENT_TYPES),
        cents: fc.oneof(
          fc.integer({ min: 0, max: 1e12 }),
          // Integers a varint of either sign cannot hold: 2^52 and up, still safe integers.
          fc.integer({ min: 2 ** 52 - 2, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ min: 0, max: 1e6, noNaN: true }),
        ),
        csid: fc.constantFrom('a', 'b', CSID, 'é漢字'),
      },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) =>
        expect(tailRoundTrip(events)).toEqual(events),
      ),
    );
  });

  it('writes a shared client session id once: 15 events of one id in 1 + 15 + 37 + 15 + 1 bytes', () => {
    const events: SessionEvent[] = Array.from({ length: 15 }, () => ({ type: 'view', csid: CSID }));
    const out = new ByteWriter();
    sessionBytesCodec.tail.write(out, events);
    expect(out.length).toBe(15 + 1 + 37 + 15 + 1);
  });

  it('reads back the aggregate, and counts stored by name as the array', () => {
    const agg: SessionAggregate = {
      counts: EVENT_TYPES.map((_, i) => i * 300),
      revenueCents: 1_234_567,
      stage: 3,
      clientSessionIds: [CSID, 'b'],
    };
    expect(aggregateRoundTrip(agg)).toEqual(agg);
    expect(aggregateRoundTrip({ ...agg, revenueCents: 0.5 }).revenueCents).toBe(0.5);
    // The contract's largest purchase is above 2^52 cents: safe, but past a zig-zag varint.
    for (const revenueCents of [
      2 ** 52 - 1,
      2 ** 52,
      4_503_599_628_000_000,
      Number.MAX_SAFE_INTEGER,
    ])
      expect(aggregateRoundTrip({ ...agg, revenueCents }).revenueCents).toBe(revenueCents);
    expect(aggregateRoundTrip({ ...agg, counts: { view: 2 } }).counts).toEqual(
      EVENT_TYPES.map((type) => (type === 'view' ? 2 : 0)),
    );
  });

  it('refuses stored bytes it cannot read, naming what', () => {
    const out = new ByteWriter();
    out.uint(EVENT_TYPES.length); // an event type index past the known ones
    expect(() => sessionBytesCodec.tail.read(new ByteReader(out.bytes()), 1)).toThrow(
      new ByteFormatError(
        `stored session event type ${EVENT_TYPES.length} is not known to this build`,
      ),
    );
    expect(() => sessionBytesCodec.tail.read(new ByteReader(Buffer.alloc(0)), 1)).toThrow(
      ByteFormatError,
    );
  });
});

describe('the session aggregate', () => {
  const events: SessionEvent[] = [
    { type: 'page_view', csid: CSID },
    { type: 'view', csid: CSID },
    { type: 'view', csid: 'other' },
    { type: 'cart' },
    { type: 'purchase', cents: 1999, csid: CSID },
  ];
  const fold = (from: SessionAggregate, more: SessionEvent[]) => more.reduce(addToSession, from);
  const rowOf = (value: SessionAggregate, count: number) =>
    toSessionRow(
      { key: 'u1', start: 0, last: 60_000, count, value, final: false, retracted: false },
      { gapMs: 30 * 60_000, maxDurationMs: 24 * 3_600_000 },
    );

  it('counts each event type in EVENT_TYPES order, and leaves the aggregate it folds unchanged', () => {
    const before = fold(initialSession(), events.slice(0, 2));
    const snapshot = JSON.stringify(before);
    const after = fold(before, events.slice(2));
    expect(JSON.stringify(before)).toBe(snapshot);
    expect(after).toEqual({
      counts: EVENT_TYPES.map((type) => events.filter((e) => e.type === type).length),
      revenueCents: 1999,
      stage: 4,
      clientSessionIds: [CSID, 'other'],
    });
    expect(rowOf(after, events.length).event_counts).toEqual({
      page_view: 1,
      view: 2,
      cart: 1,
      purchase: 1,
    });
  });

  it('reads counts stored by name (older versions) as the same session', () => {
    const stored = fold(initialSession(), events.slice(0, 3));
    const legacy: SessionAggregate = {
      ...stored,
      counts: { page_view: 1, view: 2 },
    };
    expect(fold(legacy, events.slice(3))).toEqual(fold(stored, events.slice(3)));
    expect(rowOf(legacy, 3)).toEqual(rowOf(stored, 3));
  });

  it('reads a stored array shorter than EVENT_TYPES (a type added since) as 0 for the new types', () => {
    const stored = fold(initialSession(), events.slice(0, 3));
    const shorter: SessionAggregate = {
      ...stored,
      counts: (stored.counts as number[]).slice(0, 2),
    };
    expect(fold(shorter, events.slice(3))).toEqual(fold(stored, events.slice(3)));
    expect(rowOf(shorter, 3)).toEqual(rowOf(stored, 3));
  });

  it('refuses an event type it cannot count as poison (dead-lettered at once), naming the value', () => {
    let thrown: unknown;
    try {
      addToSession(initialSession(), { type: 'teleport' as never });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PoisonError);
    expect(thrown).toMatchObject({ reason: 'unknown_event_type', retriable: false });
    expect((thrown as Error).message).toContain('event_type "teleport" is not one of page_view,');
  });
});

describe('internedSessionEvents', () => {
  it('gives toSessionEvent for every event, with or without a client session id, across a table that filled up', () => {
    const compact = internedSessionEvents(2);
    const click = (id: number, csid?: string, extra: Partial<ClickEvent> = {}) =>
      ({
        event_id: `e${id}`,
        event_type: 'view',
        user_id: 'u1',
        event_time: '2026-12-04T13:00:00.000Z',
        ...(csid === undefined ? {} : { client_session_id: `${csid}` }),
        ...extra,
      }) as ClickEvent;
    const events = [
      click(1, 'a'),
      click(2, 'a'),
      click(3),
      click(4, 'b', { event_type: 'purchase', price: 2.5, quantity: 2 }),
      click(5, 'c'), // the table is full: it starts over
      click(6, 'a'),
      click(7, 'c'),
    ];
    for (const e of events) expect(compact(e)).toEqual(toSessionEvent(e));
  });
});

describe('memoSessionId', () => {
  it('gives sessionId for every (user, start), across new sessions of a user and a memo that filled up', () => {
    const idOf = memoSessionId(3);
    const calls: Array<[string, number]> = [
      ['u1', 1_000],
      ['u1', 1_000],
      ['u2', 5],
      ['u1', 9_000], // the user's next session
      ['u3', 7],
      ['u4', 8], // the memo is full: it starts over
      ['u1', 9_000],
      ['u2', 5],
      ['u1', 1_000], // an older session of u1 (a retraction)
    ];
    for (const [user, start] of calls) expect(idOf(user, start)).toBe(sessionId(user, start));
  });
});
