import { SessionRow, sessionRow, sinkDrift, topicNames } from '@clickstream/contracts';
import { TableSinkDefinition } from '@clickstream/streams';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { sessionizerTopology } from './sessionizer.topology';

const MIN = 60_000;
const topics = topicNames('');
const T0 = Date.UTC(2019, 9, 1, 0, 0, 0);

function driver(allowedLatenessMs = 2 * MIN) {
  const topology = sessionizerTopology({ topics, gapMs: 30 * MIN, maxDurationMs: 24 * 60 * MIN });
  return new TopologyTestDriver(topology, { allowedLatenessMs });
}

let seq = 0;
function event(user: string, t: number, type = 'view', extra: Record<string, unknown> = {}) {
  return {
    event_id: `e${seq++}`,
    event_time: new Date(t).toISOString(),
    event_type: type,
    user_id: user,
    quantity: 1,
    currency: 'USD',
    properties: {},
    received_at: new Date(t).toISOString(),
    ...extra,
  };
}

/** Pushes the watermark far ahead on the partition so every session closes. */
function closeAll(d: TopologyTestDriver, t: number) {
  d.pipe(topics.events, 'zz-clock', event('zz-clock', t + 3 * 24 * 60 * MIN));
}

/** Closed sessions published so far, per user (reading drains the topic, so read once per test). */
function closedByUser(d: TopologyTestDriver): Map<string, SessionRow[]> {
  const out = new Map<string, SessionRow[]>();
  for (const { value } of d.readOutput<SessionRow>(topics.sessions))
    out.set(value.user_id, [...(out.get(value.user_id) ?? []), value]);
  return out;
}
const closed = (d: TopologyTestDriver, user: string) => closedByUser(d).get(user) ?? [];

describe('sessionizer topology (SPEC §5)', () => {
  it('state stored as bytes (SESSIONIZER_STATE_FORMAT=bytes): restarts give the same sessions and rows as JSON', () => {
    const run = (stateFormat: 'json' | 'bytes', restartEvery: number) => {
      const topology = sessionizerTopology({
        topics,
        gapMs: 30 * MIN,
        maxDurationMs: 24 * 60 * MIN,
        stateFormat,
      });
      const d = new TopologyTestDriver(topology, { allowedLatenessMs: 2 * MIN });
      const types = ['view', 'cart', 'checkout', 'purchase', 'click', 'search'];
      for (let i = 0; i < 120; i++) {
        const user = `u${i % 4}`;
        // Out of order within the lateness, a 40-minute pause midway, purchases with prices.
        const t = T0 + i * 20_000 - (i % 3) * 15_000 + (i >= 60 ? 40 * MIN : 0);
        const type = types[(i * 7) % types.length];
        const extra: Record<string, unknown> = { session_id: `c${Math.floor(i / 50)}-${user}` };
        if (type === 'purchase') extra.price = 19.99;
        d.pipe(topics.events, user, event(user, t, type, extra));
        if ((i + 1) % restartEvery === 0) d.restart();
      }
      const stored = d.store('sessionizer-session-window-store').size;
      closeAll(d, T0 + 80 * MIN);
      return {
        stored,
        closed: [...closedByUser(d).values()].flat(),
        rows: d.readTable<SessionRow>(sessionRow.table),
      };
    };
    const json = run('json', 1_000);
    const bytes = run('bytes', 1);
    expect(json.stored).toBe(4);
    expect(bytes.closed).toEqual(json.closed);
    expect(bytes.rows).toEqual(json.rows);
    expect(json.closed.length).toBeGreaterThanOrEqual(8);
    const d = new TopologyTestDriver(
      sessionizerTopology({
        topics,
        gapMs: 30 * MIN,
        maxDurationMs: 24 * 60 * MIN,
        stateFormat: 'bytes',
      }),
      { allowedLatenessMs: 2 * MIN },
    );
    d.pipe(topics.events, 'u1', event('u1', T0));
    d.restart();
    expect(d.store('sessionizer-session-window-store').size).toBe(1);
  });

  it('an event 29:59 after the previous joins the session; 30:00 after starts a new one', () => {
    const d = driver();
    d.pipe(topics.events, 'u1', event('u1', T0));
    d.pipe(topics.events, 'u1', event('u1', T0 + 29 * MIN + 59_000)); // joins
    d.pipe(topics.events, 'u1', event('u1', T0 + 59 * MIN + 59_000)); // exactly 30:00 later: new
    closeAll(d, T0);
    const s = closed(d, 'u1');
    expect(s.map((x) => [x.started_at, x.event_count])).toEqual([
      [new Date(T0).toISOString(), 2],
      [new Date(T0 + 59 * MIN + 59_000).toISOString(), 1],
    ]);
    expect(s[0].duration_s).toBe(29 * 60 + 59);
    expect(s[0].status).toBe('closed');
    expect(s[0].closed_at).toBe(new Date(T0 + 29 * MIN + 59_000 + 30 * MIN).toISOString());
  });

  it('caps a session at 24 h since its first event even with small gaps', () => {
    const d = driver();
    for (let t = 0; t <= 24 * 60; t += 20) d.pipe(topics.events, 'u2', event('u2', T0 + t * MIN));
    closeAll(d, T0 + 25 * 60 * MIN);
    const s = closed(d, 'u2');
    expect(s).toHaveLength(2);
    expect(s[0].started_at).toBe(new Date(T0).toISOString());
    expect(s[0].event_count).toBe(72); // 0, 20, ... 23:40
    expect(s[1].started_at).toBe(new Date(T0 + 24 * 60 * MIN).toISOString());
    expect(s[1].event_count).toBe(1);
  });

  it('funnel_stage is the highest stage reached; revenue is Σ price × quantity of purchases', () => {
    const d = driver();
    d.pipe(topics.events, 'u3', event('u3', T0, 'view', { price: 5 }));
    d.pipe(topics.events, 'u3', event('u3', T0 + MIN, 'cart', { price: 19.99, quantity: 3 }));
    d.pipe(
      topics.events,
      'u3',
      event('u3', T0 + 2 * MIN, 'purchase', { price: 19.99, quantity: 3 }),
    );
    d.pipe(topics.events, 'u3', event('u3', T0 + 3 * MIN, 'purchase', { price: 0.1, quantity: 7 }));
    d.pipe(topics.events, 'u3', event('u3', T0 + 4 * MIN, 'purchase')); // no price: counts, adds nothing
    d.pipe(topics.events, 'u3', event('u3', T0 + 5 * MIN, 'view'));
    d.pipe(topics.events, 'u4', event('u4', T0 + 5 * MIN, 'view'));
    d.pipe(topics.events, 'u4', event('u4', T0 + 6 * MIN, 'checkout'));
    closeAll(d, T0);
    const byUser = closedByUser(d);
    const [s3] = byUser.get('u3')!;
    expect(s3.funnel_stage).toBe('purchase');
    expect(s3.converted).toBe(true);
    expect(s3.revenue).toBe(60.67); // 3 × 19.99 + 7 × 0.10
    expect(s3.event_counts).toEqual({ view: 2, cart: 1, purchase: 3 });
    const [s4] = byUser.get('u4')!;
    expect([s4.funnel_stage, s4.converted, s4.revenue]).toEqual(['checkout', false, 0]);
  });

  it('bounced means a one-event session; client session ids are kept', () => {
    const d = driver();
    d.pipe(topics.events, 'u5', event('u5', T0, 'view', { client_session_id: 'a' }));
    d.pipe(topics.events, 'u6', event('u6', T0, 'view', { client_session_id: 'b' }));
    d.pipe(topics.events, 'u6', event('u6', T0 + MIN, 'view', { client_session_id: 'c' }));
    closeAll(d, T0);
    const byUser = closedByUser(d);
    expect(byUser.get('u5')![0]).toEqual(
      expect.objectContaining({ bounced: true, event_count: 1, client_session_ids: ['a'] }),
    );
    expect(byUser.get('u6')![0]).toEqual(
      expect.objectContaining({ bounced: false, event_count: 2, client_session_ids: ['b', 'c'] }),
    );
  });

  it('open sessions are visible in the table with current values; the closed one once on the topic', () => {
    const d = driver();
    d.pipe(topics.events, 'u7', event('u7', T0));
    d.pipe(topics.events, 'u7', event('u7', T0 + MIN, 'cart'));
    const open = d.readTable<SessionRow>('sessions').filter((r) => r.user_id === 'u7');
    expect(open).toEqual([
      expect.objectContaining({
        status: 'open',
        event_count: 2,
        funnel_stage: 'cart',
        closed_at: null,
      }),
    ]);
    expect(d.readOutput(topics.sessions)).toEqual([]);
    closeAll(d, T0);
    expect(closed(d, 'u7')).toHaveLength(1);
    expect(d.readTable<SessionRow>('sessions').find((r) => r.user_id === 'u7')?.status).toBe(
      'closed',
    );
  });

  it('an out-of-order event that bridges two sessions merges them: the stale row is deleted', () => {
    const d = driver(30 * MIN);
    d.pipe(topics.events, 'u8', event('u8', T0));
    d.pipe(topics.events, 'u8', event('u8', T0 + 40 * MIN)); // two sessions; watermark T0 + 10 min
    expect(d.readTable<SessionRow>('sessions').filter((r) => r.user_id === 'u8')).toHaveLength(2);
    d.pipe(topics.events, 'u8', event('u8', T0 + 20 * MIN)); // within lateness: 0 → 20 → 40 is one session
    const rows = d.readTable<SessionRow>('sessions').filter((r) => r.user_id === 'u8');
    expect(rows.map((r) => [r.started_at, r.event_count])).toEqual([
      [new Date(T0).toISOString(), 3],
    ]);
  });

  it('one user with 10,000 events in one session: the stored state stays small; the row counts them all', () => {
    const d = driver(); // lateness 2 min
    const n = 10_000;
    let maxStored = 0;
    for (let i = 0; i < n; i++) {
      const purchase = i % 100 === 0;
      d.pipe(
        topics.events,
        'hot',
        event(
          'hot',
          T0 + i * 2000,
          purchase ? 'purchase' : 'view',
          purchase ? { price: 1.5, quantity: 2 } : {},
        ),
      );
      if (i % 500 === 0)
        maxStored = Math.max(
          maxStored,
          JSON.stringify(d.store('sessionizer-session-window-store').get('hot')).length,
        );
    }
    // The session and its folded base, and the ~60 events of the last 2 minutes (was: every event).
    expect(maxStored).toBeLessThan(4 * 1024);
    expect(d.readTable<SessionRow>('sessions')).toEqual([
      expect.objectContaining({ user_id: 'hot', status: 'open', event_count: n }),
    ]);
    closeAll(d, T0 + n * 2000);
    expect(closed(d, 'hot')).toEqual([
      expect.objectContaining({
        event_count: n,
        revenue: 300,
        event_counts: { view: n - 100, purchase: 100 },
      }),
    ]);
  });

  it('session ids are deterministic from user and start', () => {
    const a = driver();
    const b = driver();
    for (const d of [a, b]) {
      d.pipe(topics.events, 'u9', event('u9', T0 + 5000));
      closeAll(d, T0);
    }
    const [ida, idb] = [closed(a, 'u9')[0].session_id, closed(b, 'u9')[0].session_id];
    expect(ida).toBe(idb);
    expect(ida).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});

describe('sessionizer rows and the sessions row contract', () => {
  it('its table sink writes the contract’s columns and primary key', () => {
    const topology = sessionizerTopology({ topics, gapMs: 30 * MIN, maxDurationMs: 24 * 60 * MIN });
    const sinks = topology.sinks.filter(
      (s): s is TableSinkDefinition => s.kind === 'table' && s.table === sessionRow.table,
    );
    expect(sinks).toHaveLength(1);
    expect(sinkDrift(sessionRow, sinks[0])).toEqual([]);
  });

  it('every row it writes, open or closed, and every record it publishes parses with the contract', () => {
    const d = driver();
    d.pipe(topics.events, 'c1', event('c1', T0, 'view', { client_session_id: 'a' }));
    d.pipe(topics.events, 'c1', event('c1', T0 + MIN, 'cart', { client_session_id: 'b' }));
    d.pipe(
      topics.events,
      'c1',
      event('c1', T0 + 2 * MIN, 'purchase', { price: 19.99, quantity: 3 }),
    );
    d.pipe(topics.events, 'c2', event('c2', T0 + MIN, 'page_view'));
    const open = d.readTable<SessionRow>(sessionRow.table);
    closeAll(d, T0);
    const rows = [
      ...open,
      ...d.readTable<SessionRow>(sessionRow.table),
      ...d.readOutput<SessionRow>(topics.sessions).map((r) => r.value),
    ];
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['open', 'closed']));
    for (const row of rows) expect(sessionRow.schema.parse(row)).toEqual(row);
  });
});
