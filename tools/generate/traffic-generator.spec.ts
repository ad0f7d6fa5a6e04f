import { createHash } from 'node:crypto';
import { ClickEventInput, validateEvent } from '@clickstream/contracts';
import {
  DEFAULT_THRESHOLDS,
  FRAUD_PATTERNS,
  FraudThresholds,
  GeneratorOptionsError,
  generateTraffic,
  TrafficManifest,
  TrafficOptions,
} from './traffic-generator';
import type { RuleEvent } from './rules';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1, 10, 0, 0);

/** An event as the rules read it, with its session and the generated input. */
interface Ev extends RuleEvent {
  session?: string;
  raw: ClickEventInput;
}

function run(opts: Partial<TrafficOptions> & Pick<TrafficOptions, 'ratePerSecond'>) {
  const gen = generateTraffic({ seed: 1, startTime: T0, ...opts } as TrafficOptions);
  const events: Ev[] = [];
  for (const raw of gen.events()) {
    events.push({
      t: Date.parse(raw.event_time as string),
      user: raw.user_id as string,
      type: raw.event_type as string,
      ip: raw.ip ?? undefined,
      country: raw.country ?? undefined,
      price: raw.price ?? undefined,
      quantity: raw.quantity ?? undefined,
      session: raw.session_id ?? undefined,
      raw,
    });
  }
  return { gen, events, manifest: gen.manifest() };
}

// -----------------------------------------------------------------------------------------------
// Reference implementation of SPEC §7, written from the table, independent of the generator's own.

interface Alert {
  rule: string;
  user: string | null;
  windowStart: number;
  value: number;
}

const key = (a: { rule: string; user: string | null; windowStart: number }) =>
  `${a.rule}|${a.user ?? '*'}|${new Date(a.windowStart).toISOString()}`;

function group<T>(items: T[], by: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of items) {
    const k = by(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return m;
}

const floorTo = (t: number, w: number) => Math.floor(t / w) * w;

function perUserWindowValues(events: Ev[], th: FraudThresholds) {
  const out: Alert[] = [];
  for (const [k, list] of group(
    events,
    (e) => `${e.user}|${floorTo(e.t, th.clickFloodWindowMs)}`,
  )) {
    out.push({
      rule: 'click_flood',
      user: list[0].user,
      windowStart: Number(k.split('|').pop()),
      value: list.length,
    });
  }
  for (const [k, list] of group(events, (e) => `${e.user}|${floorTo(e.t, th.userWindowMs)}`)) {
    const windowStart = Number(k.split('|').pop());
    const user = list[0].user;
    const purchases = list.filter((e) => e.type === 'purchase');
    out.push({
      rule: 'ip_hopping',
      user,
      windowStart,
      value: new Set(list.map((e) => e.ip).filter(Boolean)).size,
    });
    out.push({
      rule: 'geo_velocity',
      user,
      windowStart,
      value: new Set(list.map((e) => e.country?.toUpperCase()).filter(Boolean)).size,
    });
    out.push({ rule: 'purchase_velocity', user, windowStart, value: purchases.length });
    out.push({
      rule: 'high_value',
      user,
      windowStart,
      value: purchases
        .sort((a, b) => a.t - b.t)
        .reduce((s, e) => s + (e.price ?? 0) * (e.quantity ?? 1), 0),
    });
  }
  return out;
}

const THRESHOLD_OF: Record<string, keyof FraudThresholds> = {
  click_flood: 'clickFlood',
  ip_hopping: 'ipHopping',
  purchase_velocity: 'purchaseVelocity',
  high_value: 'highValue',
  geo_velocity: 'geoVelocity',
};

function quantileLinear(sorted: number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

function referenceAlerts(events: Ev[], th: FraudThresholds = DEFAULT_THRESHOLDS): Alert[] {
  const alerts = perUserWindowValues(events, th).filter((v) => v.value > th[THRESHOLD_OF[v.rule]]);
  // outlier_activity
  for (const [k, list] of group(events, (e) => String(floorTo(e.t, th.outlierWindowMs)))) {
    const counts = [...group(list, (e) => e.user)].map(([user, es]) => ({ user, n: es.length }));
    if (counts.length < th.outlierMinUsers) continue;
    const sorted = counts.map((c) => c.n).sort((a, b) => a - b);
    const q1 = quantileLinear(sorted, 0.25);
    const q3 = quantileLinear(sorted, 0.75);
    const fence = q3 + th.outlierIqrFactor * (q3 - q1);
    for (const c of counts) {
      if (c.n >= th.outlierMinEvents && c.n > fence)
        alerts.push({ rule: 'outlier_activity', user: c.user, windowStart: Number(k), value: c.n });
    }
  }
  // traffic_spike / traffic_drop over every minute from the first one with events to 60 after the last
  const perMinute = new Map<number, number>();
  for (const e of events)
    perMinute.set(floorTo(e.t, MIN), (perMinute.get(floorTo(e.t, MIN)) ?? 0) + 1);
  const minutes = [...perMinute.keys()].sort((a, b) => a - b);
  const first = minutes[0];
  const last = minutes[minutes.length - 1];
  for (let m = first; m <= last + 60 * MIN; m += MIN) {
    const prev: number[] = [];
    for (let p = Math.max(first, m - th.globalHistoryMinutes * MIN); p < m; p += MIN)
      prev.push(perMinute.get(p) ?? 0);
    if (prev.length < th.globalMinHistoryMinutes || prev.length === 0) continue;
    const mean = prev.reduce((a, b) => a + b, 0) / prev.length;
    if (mean < th.globalMinMean) continue;
    const n = perMinute.get(m) ?? 0;
    if (n > th.spikeFactor * mean)
      alerts.push({ rule: 'traffic_spike', user: null, windowStart: m, value: n });
    if (n < th.dropFactor * mean)
      alerts.push({ rule: 'traffic_drop', user: null, windowStart: m, value: n });
  }
  return alerts;
}

function manifestKeys(m: TrafficManifest): string[] {
  return m.expected
    .map((a) => key({ rule: a.rule, user: a.user_id, windowStart: Date.parse(a.window_start) }))
    .sort();
}

function digest(events: Iterable<ClickEventInput>): string {
  const h = createHash('sha256');
  for (const e of events) h.update(`${JSON.stringify(e)}\n`);
  return h.digest('hex');
}

// -----------------------------------------------------------------------------------------------

describe('traffic generator: determinism and contract', () => {
  const opts: TrafficOptions = {
    seed: 42,
    startTime: T0 + 17_345,
    ratePerSecond: 2.5,
    users: 250,
    durationSeconds: 5400,
    fraud: [...FRAUD_PATTERNS],
    nearMiss: true,
    disorderMs: 3000,
  };

  it('gives byte-identical output for the same seed and different output for another seed', () => {
    const a = digest(generateTraffic(opts).events());
    const b = digest(generateTraffic(opts).events());
    const c = digest(generateTraffic({ ...opts, seed: 43 }).events());
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('is restartable: a second pass over the same generator gives the same events and manifest', () => {
    const gen = generateTraffic(opts);
    const first = digest(gen.events());
    const m1 = JSON.stringify(gen.manifest());
    expect(digest(gen.events())).toBe(first);
    expect(JSON.stringify(gen.manifest())).toBe(m1);
    // manifest() before iterating makes its own pass
    expect(JSON.stringify(generateTraffic(opts).manifest())).toBe(m1);
  });

  it('produces only events that pass validateEvent, with deterministic unique ids', () => {
    const gen = generateTraffic(opts);
    const ids = new Set<string>();
    let n = 0;
    for (const e of gen.events()) {
      const r = validateEvent(e, { now: T0 + 86_400_000 });
      if (!r.ok) throw new Error(`invalid event ${JSON.stringify(e)}: ${JSON.stringify(r.errors)}`);
      expect(r.event.event_id).toBe(e.event_id);
      ids.add(e.event_id as string);
      n++;
    }
    expect(n).toBe(gen.totalEvents);
    expect(ids.size).toBe(n);
    expect([...ids].every((id) => /^gen-42-\d+$/.test(id))).toBe(true);
  });
});

describe('traffic generator: realistic normal traffic', () => {
  const { gen, events } = run({
    seed: 5,
    users: 300,
    ratePerSecond: 1.5,
    durationSeconds: 4 * 3600,
  });

  it('hits the rate exactly, in event-time order, inside [start, end)', () => {
    expect(events).toHaveLength(1.5 * 4 * 3600);
    expect(gen.normalEvents).toBe(events.length);
    for (let i = 1; i < events.length; i++)
      expect(events[i].t).toBeGreaterThanOrEqual(events[i - 1].t);
    expect(events[0].t).toBeGreaterThanOrEqual(T0);
    expect(events[events.length - 1].t).toBeLessThan(T0 + 4 * 3600_000);
  });

  it('has users with several sessions, and inactivity gaps on both sides of 30 minutes', () => {
    const byUser = group(events, (e) => e.user);
    expect(byUser.size).toBeGreaterThan(250);
    let sessions = 0;
    let under30 = 0;
    let over30 = 0;
    for (const list of byUser.values()) {
      sessions++;
      for (let i = 1; i < list.length; i++) {
        const gap = list[i].t - list[i - 1].t;
        if (gap >= 30 * MIN) sessions++;
        if (gap >= 20 * MIN && gap < 30 * MIN) under30++;
        if (gap >= 30 * MIN && gap < 60 * MIN) over30++;
      }
    }
    expect(sessions / byUser.size).toBeGreaterThanOrEqual(3);
    expect(under30).toBeGreaterThan(100);
    expect(over30).toBeGreaterThan(100);
    // most gaps inside a session are seconds to a few minutes
    const inSession = [...byUser.values()]
      .flatMap((l) => l.slice(1).map((e, i) => e.t - l[i].t))
      .filter((g) => g < 30 * MIN);
    const median = inSession.sort((a, b) => a - b)[Math.floor(inSession.length / 2)];
    expect(median).toBeGreaterThan(5_000);
    expect(median).toBeLessThan(120_000);
  });

  it('follows the view → cart → checkout → purchase funnel with decreasing ratios', () => {
    const count = (type: string) => events.filter((e) => e.type === type).length;
    const views = count('view');
    expect(views / events.length).toBeGreaterThan(0.35);
    expect(count('cart') / views).toBeGreaterThan(0.07);
    expect(count('cart') / views).toBeLessThan(0.12);
    expect(count('checkout') / views).toBeGreaterThan(0.025);
    expect(count('checkout') / views).toBeLessThan(0.05);
    expect(count('purchase') / views).toBeGreaterThan(0.01);
    expect(count('purchase') / views).toBeLessThan(0.03);
    for (const type of ['page_view', 'click', 'search', 'remove_from_cart'])
      expect(count(type)).toBeGreaterThan(0);
  });

  it('has a catalogue with categories, brands and non-negative, spread-out prices', () => {
    const priced = events.filter((e) => e.price !== undefined);
    expect(priced.every((e) => e.price! >= 0)).toBe(true);
    expect(new Set(priced.map((e) => e.raw.category_code)).size).toBeGreaterThan(20);
    expect(new Set(priced.map((e) => e.raw.brand)).size).toBeGreaterThan(20);
    const prices = priced.map((e) => e.price!).sort((a, b) => a - b);
    expect(prices[Math.floor(prices.length * 0.1)]).toBeLessThan(50);
    expect(prices[Math.floor(prices.length * 0.9)]).toBeGreaterThan(200);
    for (const e of events.filter((x) =>
      ['cart', 'checkout', 'purchase', 'remove_from_cart'].includes(x.type),
    )) {
      expect(e.raw.product_id).toBeDefined();
      expect(Number.isInteger(e.quantity) && e.quantity! >= 1).toBe(true);
    }
  });

  it('keeps a stable IP, country and user agent per user (at most two of each)', () => {
    let switching = 0;
    for (const list of group(events, (e) => e.user).values()) {
      const ips = new Set(list.map((e) => e.ip));
      expect(ips.size).toBeLessThanOrEqual(2);
      expect(new Set(list.map((e) => e.country)).size).toBeLessThanOrEqual(2);
      expect(new Set(list.map((e) => e.raw.user_agent)).size).toBeLessThanOrEqual(2);
      if (ips.size === 2) switching++;
    }
    expect(switching).toBeGreaterThan(0);
  });

  it('has bursts but no minute far from the base rate', () => {
    const perMinute = [...group(events, (e) => String(floorTo(e.t, MIN))).values()].map(
      (l) => l.length,
    );
    const base = 1.5 * 60;
    expect(Math.max(...perMinute)).toBeGreaterThan(base * 1.3);
    expect(Math.max(...perMinute)).toBeLessThan(base * 2.2);
    expect(Math.min(...perMinute)).toBeGreaterThan(base * 0.5);
  });
});

describe('traffic generator: normal traffic alone crosses no threshold', () => {
  const cases: Array<[string, Partial<TrafficOptions> & Pick<TrafficOptions, 'ratePerSecond'>]> = [
    ['plentiful users', { seed: 11, users: 2000, ratePerSecond: 3, durationSeconds: 3 * 3600 }],
    [
      'few, busy users (~0.1 events/s each)',
      {
        seed: 12,
        users: 60,
        ratePerSecond: 6,
        durationSeconds: 2 * 3600,
        startTime: T0 + 1_234_567,
      },
    ],
    [
      'unaligned start and end, count mode',
      { seed: 13, users: 400, ratePerSecond: 4, count: 40_000, startTime: T0 + 59_999 },
    ],
    ['high rate', { seed: 14, users: 3000, ratePerSecond: 25, durationSeconds: 1800 }],
  ];

  it.each(cases)('%s', (_name, opts) => {
    const { events, manifest } = run(opts);
    if (opts.count) expect(events).toHaveLength(opts.count);
    const alerts = referenceAlerts(events);
    const end = Date.parse(manifest.end);
    // Only the empty minutes after the stream may drop (a pipeline sees them once the watermark passes the end).
    const inStream = alerts.filter(
      (a) => !(a.rule === 'traffic_drop' && a.windowStart + MIN > end),
    );
    expect(inStream).toEqual([]);
    expect(manifest.expected.every((a) => a.trailing && a.rule === 'traffic_drop')).toBe(true);
    expect(manifestKeys(manifest)).toEqual(alerts.map(key).sort());
    expect(manifest.warnings).toEqual([]);
  });

  it('normal users also stay at most ~60 % of the click_flood threshold per minute', () => {
    const { events } = run({ seed: 15, users: 50, ratePerSecond: 7, durationSeconds: 3600 });
    const perUserMinute = [...group(events, (e) => `${e.user}|${floorTo(e.t, MIN)}`).values()].map(
      (l) => l.length,
    );
    expect(Math.max(...perUserMinute)).toBeLessThanOrEqual(31);
  });
});

describe('traffic generator: injected fraud and near misses', () => {
  const { events, manifest } = run({
    seed: 21,
    users: 400,
    ratePerSecond: 3,
    durationSeconds: 2.5 * 3600,
    startTime: T0 + 7 * MIN + 13_000,
    fraud: [...FRAUD_PATTERNS],
    nearMiss: true,
  });
  const reference = referenceAlerts(events);
  const values = perUserWindowValues(events, DEFAULT_THRESHOLDS);
  const eventsOf = (user: string) => events.filter((e) => e.user === user);
  const expectedFor = (rule: string) =>
    manifest.expected.filter((a) => a.rule === rule && a.source === 'injected');

  it('the manifest lists exactly the alerts the reference rules find', () => {
    expect(manifestKeys(manifest)).toEqual(reference.map(key).sort());
    expect(manifest.warnings).toEqual([]);
    expect(manifest.expected.filter((a) => a.source === 'incidental' && !a.trailing)).toEqual([]);
  });

  it.each(FRAUD_PATTERNS)('%s is injected once and crosses its threshold', (rule) => {
    const [alert, ...more] = expectedFor(rule);
    expect(alert).toBeDefined();
    expect(more).toEqual([]);
    const start = Date.parse(alert.window_start);
    const end = Date.parse(alert.window_end);
    const found = reference.find(
      (a) => a.rule === rule && a.windowStart === start && a.user === alert.user_id,
    );
    expect(found).toBeDefined();
    expect(found!.value).toBe(alert.value);
    if (alert.user_id) {
      expect(alert.user_id).toBe(`fraud-${rule}-1`);
      // the whole case lies inside its one aligned window
      for (const e of eventsOf(alert.user_id)) {
        expect(e.t).toBeGreaterThanOrEqual(start);
        expect(e.t).toBeLessThan(end);
      }
    }
  });

  it('the per-user cases cross by exactly one unit (value = threshold + 1 or a little over for amounts)', () => {
    const th = DEFAULT_THRESHOLDS;
    const value = (rule: string) => expectedFor(rule)[0].value;
    expect(value('click_flood')).toBe(th.clickFlood + 1);
    expect(value('ip_hopping')).toBe(th.ipHopping + 1);
    expect(value('purchase_velocity')).toBe(th.purchaseVelocity + 1);
    expect(value('geo_velocity')).toBe(th.geoVelocity + 1);
    expect(value('high_value')).toBeGreaterThan(th.highValue);
    // the high_value case is not also a purchase_velocity case, and the others stay below high_value
    expect(
      eventsOf('fraud-high_value-1').filter((e) => e.type === 'purchase').length,
    ).toBeLessThanOrEqual(th.purchaseVelocity);
  });

  it('outlier_activity: the user is far above Q3 + 1.5·IQR of its hour without a click flood', () => {
    const alert = expectedFor('outlier_activity')[0];
    const hour = Date.parse(alert.window_start);
    const inHour = events.filter((e) => e.t >= hour && e.t < hour + 3600_000);
    const counts = [...group(inHour, (e) => e.user).values()]
      .map((l) => l.length)
      .sort((a, b) => a - b);
    expect(counts.length).toBeGreaterThanOrEqual(20);
    const q1 = quantileLinear(counts, 0.25);
    const q3 = quantileLinear(counts, 0.75);
    expect(alert.value).toBeGreaterThan(q3 + 1.5 * (q3 - q1));
    expect(alert.value).toBeGreaterThanOrEqual(10);
    expect(
      values
        .filter((v) => v.user === alert.user_id && v.rule === 'click_flood')
        .every((v) => v.value <= 50),
    ).toBe(true);
  });

  it('traffic_spike / traffic_drop: the minute really crosses 2.5× / 0.4× the mean of the previous 30', () => {
    const perMinute = (m: number) => events.filter((e) => floorTo(e.t, MIN) === m).length;
    for (const [rule, check] of [
      ['traffic_spike', (n: number, mean: number) => n > 2.5 * mean],
      ['traffic_drop', (n: number, mean: number) => n < 0.4 * mean],
    ] as const) {
      const alert = expectedFor(rule)[0];
      expect(alert.user_id).toBeNull();
      const m = Date.parse(alert.window_start);
      const prev = Array.from({ length: 30 }, (_, i) => perMinute(m - (i + 1) * MIN));
      const mean = prev.reduce((a, b) => a + b, 0) / 30;
      expect(floorTo(T0 + 7 * MIN + 13_000, MIN)).toBeLessThanOrEqual(m - 30 * MIN); // a full history
      expect(mean).toBeGreaterThanOrEqual(100);
      expect(check(perMinute(m), mean)).toBe(true);
      expect(alert.value).toBe(perMinute(m));
    }
  });

  it('near misses sit exactly at the threshold and fire nothing', () => {
    const th = DEFAULT_THRESHOLDS;
    expect(manifest.near_misses.map((n) => n.user_id).sort()).toEqual([
      'nearmiss-click_flood-1',
      'nearmiss-click_flood-2',
      'nearmiss-geo_velocity-1',
      'nearmiss-high_value-1',
      'nearmiss-ip_hopping-1',
      'nearmiss-purchase_velocity-1',
    ]);
    expect(reference.filter((a) => a.user?.startsWith('nearmiss-'))).toEqual([]);
    const max = (user: string, rule: string) =>
      Math.max(...values.filter((v) => v.user === user && v.rule === rule).map((v) => v.value));
    expect(max('nearmiss-click_flood-1', 'click_flood')).toBe(th.clickFlood);
    expect(max('nearmiss-ip_hopping-1', 'ip_hopping')).toBe(th.ipHopping);
    expect(max('nearmiss-purchase_velocity-1', 'purchase_velocity')).toBe(th.purchaseVelocity);
    expect(max('nearmiss-high_value-1', 'high_value')).toBe(10_000);
    expect(max('nearmiss-geo_velocity-1', 'geo_velocity')).toBe(th.geoVelocity);
    for (const n of manifest.near_misses.filter((x) => x.user_id !== 'nearmiss-click_flood-2')) {
      expect(n.value).toBe(n.threshold);
      const start = Date.parse(n.window_start);
      const end = Date.parse(n.window_end);
      expect(eventsOf(n.user_id).every((e) => e.t >= start && e.t < end)).toBe(true);
    }
  });

  it('the straddling near miss has 30 + 30 clicks within 60 s across a minute boundary', () => {
    const clicks = eventsOf('nearmiss-click_flood-2');
    expect(clicks).toHaveLength(60);
    expect(clicks.every((e) => e.type === 'click')).toBe(true);
    expect(clicks[59].t - clicks[0].t).toBeLessThan(60_000);
    const perMinute = [...group(clicks, (e) => String(floorTo(e.t, MIN))).values()].map(
      (l) => l.length,
    );
    expect(perMinute).toEqual([30, 30]);
  });

  it('the spike is a flash crowd of normal users, each staying below click_flood', () => {
    const alert = expectedFor('traffic_spike')[0];
    const m = Date.parse(alert.window_start);
    const inMinute = events.filter((e) => floorTo(e.t, MIN) === m);
    const perUser = [...group(inMinute, (e) => e.user).values()].map((l) => l.length);
    expect(inMinute.every((e) => e.user.startsWith('user-'))).toBe(true);
    expect(perUser.length).toBeGreaterThan(50);
    expect(Math.max(...perUser)).toBeLessThanOrEqual(45);
  });

  it('injected users never share ids with normal users', () => {
    const injected = new Set(
      events.filter((e) => /^(fraud|nearmiss)-/.test(e.user)).map((e) => e.user),
    );
    expect(injected.size).toBeGreaterThan(10);
    expect(
      [...new Set(events.map((e) => e.user))].every((u) =>
        /^(user-\d+|fraud-[a-z_]+-\d+|nearmiss-[a-z_]+-\d+)$/.test(u),
      ),
    ).toBe(true);
  });
});

describe('traffic generator: the manifest holds over varied configurations', () => {
  // A deterministic sample of configurations (rates, user counts, unaligned starts, partial hours,
  // count mode, overridden thresholds); each manifest must equal the reference evaluation exactly.
  const configs: Array<Partial<TrafficOptions> & Pick<TrafficOptions, 'ratePerSecond'>> = [
    {
      seed: 101,
      users: 40,
      ratePerSecond: 2.2,
      durationSeconds: 4000,
      startTime: T0 + 1_111_111,
      fraud: ['click_flood', 'outlier_activity', 'traffic_spike'],
      nearMiss: true,
    },
    {
      seed: 102,
      users: 5000,
      ratePerSecond: 4,
      durationSeconds: 2700,
      startTime: T0 + 2_345,
      fraud: [...FRAUD_PATTERNS],
    },
    {
      seed: 103,
      users: 150,
      ratePerSecond: 0.7,
      count: 6000,
      startTime: T0 + 3_599_000,
      fraud: ['ip_hopping', 'high_value', 'geo_velocity', 'outlier_activity'],
      nearMiss: true,
    },
    {
      seed: 104,
      users: 900,
      ratePerSecond: 3,
      durationSeconds: 1500,
      fraud: ['traffic_drop', 'purchase_velocity'],
      nearMiss: true,
      bursts: false,
    },
    {
      seed: 105,
      users: 400,
      ratePerSecond: 2.5,
      durationSeconds: 3000,
      fraud: [...FRAUD_PATTERNS],
      nearMiss: true,
      thresholds: {
        clickFlood: 30,
        ipHopping: 5,
        purchaseVelocity: 3,
        highValue: 2500,
        geoVelocity: 3,
        outlierIqrFactor: 1.2,
      },
    },
    {
      seed: 106,
      users: 70,
      ratePerSecond: 0.4,
      durationSeconds: 2 * 3600,
      startTime: T0 + 42_000,
      fraud: ['click_flood', 'outlier_activity'],
      nearMiss: true,
    },
  ];

  it.each(configs.map((c) => [c.seed, c] as const))('seed %s', (_seed, opts) => {
    const { events, manifest } = run(opts);
    const th = { ...DEFAULT_THRESHOLDS, ...(opts.thresholds ?? {}) };
    const reference = referenceAlerts(events, th);
    expect(manifestKeys(manifest)).toEqual(reference.map(key).sort());
    expect(reference.filter((a) => a.user?.startsWith('user-'))).toEqual([]);
    expect(reference.filter((a) => a.user?.startsWith('nearmiss-'))).toEqual([]);
    expect(manifest.expected.filter((a) => a.source === 'incidental' && !a.trailing)).toEqual([]);
    expect(manifest.warnings).toEqual([]);
    for (const rule of opts.fraud ?? []) {
      expect(
        manifest.expected.filter((a) => a.rule === rule && a.source === 'injected'),
      ).toHaveLength(1);
    }
    if (opts.count) expect(events).toHaveLength(opts.count);
  });
});

describe('traffic generator: options', () => {
  it('honours overridden thresholds (the manifest and the cases follow them)', () => {
    const thresholds = {
      clickFlood: 20,
      ipHopping: 4,
      purchaseVelocity: 2,
      highValue: 2_000,
      geoVelocity: 1,
    };
    const th = { ...DEFAULT_THRESHOLDS, ...thresholds };
    const { events, manifest } = run({
      seed: 31,
      users: 300,
      ratePerSecond: 2,
      durationSeconds: 3600,
      fraud: ['click_flood', 'ip_hopping', 'purchase_velocity', 'high_value', 'geo_velocity'],
      nearMiss: true,
      thresholds,
    });
    const reference = referenceAlerts(events, th);
    expect(manifestKeys(manifest)).toEqual(reference.map(key).sort());
    expect(
      manifest.expected.find((a) => a.rule === 'click_flood' && a.source === 'injected')?.value,
    ).toBe(21);
    expect(reference.filter((a) => a.user?.startsWith('user-'))).toEqual([]);
    expect(reference.filter((a) => a.user?.startsWith('nearmiss-'))).toEqual([]);
    expect(manifest.thresholds.clickFlood).toBe(20);
  });

  it('count mode yields exactly count events, including the injected ones', () => {
    const gen = generateTraffic({
      seed: 3,
      startTime: T0,
      ratePerSecond: 3,
      users: 300,
      count: 25_000,
      fraud: [...FRAUD_PATTERNS],
      nearMiss: true,
    });
    let n = 0;
    for (const _ of gen.events()) n++;
    expect(n).toBe(25_000);
    expect(gen.manifest().events).toBe(25_000);
    expect(gen.manifest().warnings).toEqual([]);
  });

  it('disorder shuffles within the bound and keeps the same events', () => {
    const base = { seed: 8, startTime: T0, ratePerSecond: 5, users: 400, durationSeconds: 900 };
    const ordered = [...generateTraffic(base).events()];
    const shuffled = [...generateTraffic({ ...base, disorderMs: 10_000 }).events()];
    expect(shuffled.map((e) => e.event_id).sort()).toEqual(ordered.map((e) => e.event_id).sort());
    let max = 0;
    let worst = 0;
    let outOfOrder = 0;
    for (const e of shuffled) {
      const t = Date.parse(e.event_time as string);
      if (t < max) outOfOrder++;
      worst = Math.max(worst, max - t);
      max = Math.max(max, t);
    }
    expect(outOfOrder).toBeGreaterThan(100);
    expect(worst).toBeLessThanOrEqual(10_000);
  });

  it.each([
    ['seed', { seed: -1 }],
    ['ratePerSecond', { ratePerSecond: 0 }],
    ['durationSeconds', { durationSeconds: undefined }],
    ['users', { users: 0 }],
    ['fraud', { fraud: ['nope' as never] }],
    ['thresholds.clickFlood', { thresholds: { clickFlood: 0 } }],
    ['ratePerSecond', { ratePerSecond: 100, users: 10 }],
    ['fraud', { fraud: ['traffic_spike' as const], ratePerSecond: 1 }],
    ['fraud', { fraud: ['traffic_drop' as const], durationSeconds: 600 }],
  ])('rejects a bad %s with a GeneratorOptionsError naming it', (option, patch) => {
    const opts = {
      seed: 1,
      startTime: T0,
      ratePerSecond: 5,
      durationSeconds: 3600,
      ...patch,
    } as TrafficOptions;
    let error: unknown;
    try {
      generateTraffic(opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GeneratorOptionsError);
    expect((error as GeneratorOptionsError).option).toBe(option);
  });
});
