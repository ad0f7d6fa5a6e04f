import {
  productHourAggregateRow,
  sinkDrift,
  TableRowContract,
  topicNames,
  windowAggregateRow,
  WindowAggregateRow,
} from '@clickstream/contracts';
import { TableSinkDefinition } from '@clickstream/streams';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { aggregatorTopology } from './aggregator.topology';
import { conversionRate, sizeLabel } from './window-aggregate';

const MIN = 60_000;
const topics = topicNames('');
const T0 = Date.UTC(2019, 9, 1, 10, 0, 0);
const SIZES = [MIN, 5 * MIN, 60 * MIN];

type Row = WindowAggregateRow;

function driver(partitions = 1) {
  return new TopologyTestDriver(aggregatorTopology({ topics, windowSizesMs: SIZES }), {
    allowedLatenessMs: 2 * MIN,
    partitions,
  });
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
    ...extra,
  };
}

/** What a reader sees: partial rows merged over partitions (SUM ... GROUP BY). */
function merged(d: TopologyTestDriver): Map<string, Omit<Row, 'partition'>> {
  const out = new Map<string, Omit<Row, 'partition'>>();
  for (const { partition: _partition, ...r } of d.readTable<Row>(windowAggregateRow.table)) {
    const k = `${r.window_size}|${r.dimension}|${r.window_start}`;
    const prev = out.get(k);
    out.set(k, {
      ...r,
      events: (prev?.events ?? 0) + r.events,
      unique_users: (prev?.unique_users ?? 0) + r.unique_users,
      purchases: (prev?.purchases ?? 0) + r.purchases,
      revenue: ((prev ? Number(prev.revenue) : 0) + Number(r.revenue)).toFixed(2),
      views: (prev?.views ?? 0) + r.views,
      carts: (prev?.carts ?? 0) + r.carts,
    });
  }
  return out;
}

const at = (d: TopologyTestDriver, size: string, dimension: string, start: number) =>
  merged(d).get(`${size}|${dimension}|${new Date(start).toISOString()}`);

describe('aggregator topology (SPEC §6)', () => {
  it('aligns 1 min, 5 min and 1 h windows to the UTC epoch', () => {
    const d = driver();
    const t = T0 + 7 * MIN + 30_000; // 10:07:30
    d.pipe(topics.events, 'u1', event('u1', t));
    for (const [size, start, end] of [
      ['1m', T0 + 7 * MIN, T0 + 8 * MIN],
      ['5m', T0 + 5 * MIN, T0 + 10 * MIN],
      ['1h', T0, T0 + 60 * MIN],
    ] as const) {
      const row = at(d, size, 'all', start);
      expect(row).toMatchObject({ events: 1, window_end: new Date(end).toISOString() });
    }
  });

  it('keeps events, views, carts, purchases and unique users per dimension', () => {
    const d = driver();
    d.pipe(topics.events, 'u1', event('u1', T0, 'view'));
    d.pipe(topics.events, 'u1', event('u1', T0 + 1000, 'view'));
    d.pipe(topics.events, 'u2', event('u2', T0 + 2000, 'cart'));
    d.pipe(topics.events, 'u2', event('u2', T0 + 3000, 'page_view'));
    expect(at(d, '1m', 'all', T0)).toMatchObject({
      events: 4,
      views: 2,
      carts: 1,
      purchases: 0,
      unique_users: 2,
    });
    expect(at(d, '1m', 'view', T0)).toMatchObject({ events: 2, views: 2, unique_users: 1 });
    expect(at(d, '1m', 'cart', T0)).toMatchObject({ events: 1, carts: 1, unique_users: 1 });
    expect(at(d, '1m', 'page_view', T0)).toMatchObject({ events: 1, views: 0 });
  });

  it('revenue is the sum of price × quantity of purchases, exact to the cent', () => {
    const d = driver();
    d.pipe(topics.events, 'u1', event('u1', T0, 'purchase', { price: 0.1, quantity: 3 }));
    d.pipe(topics.events, 'u1', event('u1', T0 + 1, 'purchase', { price: 0.2, quantity: 1 }));
    d.pipe(topics.events, 'u2', event('u2', T0 + 2, 'purchase')); // no price: a purchase, no revenue
    d.pipe(topics.events, 'u2', event('u2', T0 + 3, 'view', { price: 999 })); // not a purchase
    expect(at(d, '1h', 'all', T0)).toMatchObject({ purchases: 3, revenue: '0.50', views: 1 });
    expect(at(d, '1h', 'purchase', T0)).toMatchObject({ purchases: 3, revenue: '0.50' });
  });

  it('conversion rate with zero views is 0, never NaN', () => {
    expect(conversionRate(3, 0)).toBe(0);
    expect(conversionRate(0, 0)).toBe(0);
    expect(conversionRate(1, 4)).toBe(0.25);
  });

  it('keeps views, carts, purchases and revenue per product and 1 h window', () => {
    const d = driver();
    d.pipe(topics.events, 'u1', event('u1', T0 + 5 * MIN, 'view', { product_id: 'p1' }));
    d.pipe(topics.events, 'u1', event('u1', T0 + 6 * MIN, 'cart', { product_id: 'p1' }));
    d.pipe(
      topics.events,
      'u1',
      event('u1', T0 + 7 * MIN, 'purchase', { product_id: 'p1', price: 12.5, quantity: 2 }),
    );
    d.pipe(topics.events, 'u2', event('u2', T0 + 61 * MIN, 'view', { product_id: 'p1' }));
    d.pipe(topics.events, 'u2', event('u2', T0 + 62 * MIN, 'click', { product_id: 'p1' })); // not a product funnel event
    const rows = d
      .readTable<Record<string, unknown>>(productHourAggregateRow.table)
      .sort((a, b) => String(a.window_start).localeCompare(String(b.window_start)));
    expect(rows).toEqual([
      {
        window_start: new Date(T0).toISOString(),
        product_id: 'p1',
        partition: 0,
        views: 1,
        carts: 1,
        purchases: 1,
        revenue: '25.00',
      },
      {
        window_start: new Date(T0 + 60 * MIN).toISOString(),
        product_id: 'p1',
        partition: 0,
        views: 1,
        carts: 0,
        purchases: 0,
        revenue: '0.00',
      },
    ]);
  });

  it('merged partials are the same for 1 and 3 partitions and for shuffled input within the lateness', () => {
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const types = ['view', 'view', 'cart', 'purchase', 'page_view', 'click'];
    const events = Array.from({ length: 600 }, (_, i) => {
      const type = types[(i * 7) % types.length];
      return event(
        users[(i * 13) % users.length],
        T0 + i * 1500,
        type,
        type === 'purchase' ? { price: (i % 17) + 0.99, quantity: 1 + (i % 3) } : {},
      );
    });
    // Shuffled within 60 s (the allowed lateness is 2 min).
    const shuffled = [...events].sort(
      (a, b) =>
        Date.parse(a.event_time) +
        (seqHash(a.event_id) % 60) * 1000 -
        (Date.parse(b.event_time) + (seqHash(b.event_id) % 60) * 1000),
    );
    const one = driver(1);
    const three = driver(3);
    for (const e of events) one.pipe(topics.events, e.user_id, e);
    for (const e of shuffled) three.pipe(topics.events, e.user_id, e);
    const a = merged(one);
    const b = merged(three);
    expect(b.size).toBe(a.size);
    for (const [k, row] of a) expect(b.get(k)).toEqual(row);
    expect(a.get(`1h|all|${new Date(T0).toISOString()}`)).toMatchObject({
      events: 600,
      unique_users: 40,
    });
  });

  it('labels window sizes as the API does', () => {
    expect([MIN, 5 * MIN, 60 * MIN, 30_000].map(sizeLabel)).toEqual(['1m', '5m', '1h', '30s']);
  });
});

describe('aggregator rows and the window_aggregates / product_hour_aggregates row contracts', () => {
  const contracts: Array<[string, TableRowContract]> = [
    [windowAggregateRow.table, windowAggregateRow],
    [productHourAggregateRow.table, productHourAggregateRow],
  ];

  it.each(contracts)(
    'every table sink of %s writes the contract’s columns and primary key',
    (table, contract) => {
      const topology = aggregatorTopology({ topics, windowSizesMs: SIZES });
      const sinks = topology.sinks.filter(
        (s): s is TableSinkDefinition => s.kind === 'table' && s.table === table,
      );
      expect(sinks.length).toBeGreaterThan(0);
      for (const sink of sinks) expect(sinkDrift(contract, sink)).toEqual([]);
    },
  );

  it.each(contracts)('every row it writes to %s parses with the contract', (table, contract) => {
    const d = driver(2);
    d.pipe(topics.events, 'u1', event('u1', T0, 'view', { product_id: 'p1' }));
    d.pipe(topics.events, 'u2', event('u2', T0 + MIN, 'cart', { product_id: 'p1' }));
    d.pipe(
      topics.events,
      'u1',
      event('u1', T0 + 2 * MIN, 'purchase', { product_id: 'p2', price: 19.99, quantity: 3 }),
    );
    d.pipe(topics.events, 'u3', event('u3', T0 + 61 * MIN, 'page_view'));
    const rows = d.readTable(table);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(contract.schema.parse(row)).toEqual(row);
  });
});

function seqHash(s: string): number {
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}
