import { ALERT_RULES, ClickEvent, EVENT_TYPES } from '@clickstream/contracts';
import { clickEventSource } from '@clickstream/platform';
import { StateFormatError, TopologyBuilder } from '@clickstream/streams';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { FRAUD_DETECTOR_APP_ID, fraudTopology } from '../fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG, fraudConfigWith } from '../rules/rule-config';
import { UserRuleName } from '../rules/user-rules';
import {
  alerts,
  clickEvent,
  fraudDriver,
  iso,
  MIN,
  pipeEvents,
  shuffled,
  T0,
  topics,
  WALL,
} from '../../../test/fraud-fixtures';
import { UserWindows, userWindowsOf } from '../rules/user-windows-bytes';
import { USER_RULES_NODE, USER_RULES_STORE } from './user-rules.node';

/**
 * Each per-user rule on the topology test driver (SPEC §7). A rule's "unit" is one event that adds
 * exactly 1 to its metric (a click, a new IP, a purchase, a new country; for high_value 1,000.00 of
 * purchase), so `threshold` units sit exactly on the threshold and one more crosses it.
 */
interface RuleCase {
  rule: UserRuleName;
  windowMs: number;
  /** Units that sit exactly on the threshold. */
  atThreshold: number;
  unit: (user: string, i: number, t: number) => ClickEvent;
  severity: string;
  /** The alert's value after atThreshold + 1 units. */
  firedValue: number;
}

const COUNTRIES = ['DE', 'FR', 'US', 'GB', 'NL', 'PL', 'ES', 'IT'];

const CASES: RuleCase[] = [
  {
    rule: 'click_flood',
    windowMs: MIN,
    atThreshold: 50,
    unit: (u, _i, t) => clickEvent(u, t, { event_type: 'click' }),
    severity: 'medium',
    firedValue: 51,
  },
  {
    rule: 'ip_hopping',
    windowMs: 10 * MIN,
    atThreshold: 10,
    unit: (u, i, t) => clickEvent(u, t, { ip: `10.0.0.${i}` }),
    severity: 'high',
    firedValue: 11,
  },
  {
    rule: 'purchase_velocity',
    windowMs: 10 * MIN,
    atThreshold: 5,
    unit: (u, _i, t) => clickEvent(u, t, { event_type: 'purchase' }),
    severity: 'high',
    firedValue: 6,
  },
  {
    rule: 'high_value',
    windowMs: 10 * MIN,
    atThreshold: 10,
    unit: (u, _i, t) => clickEvent(u, t, { event_type: 'purchase', price: 250, quantity: 4 }),
    severity: 'high',
    firedValue: 11_000,
  },
  {
    rule: 'geo_velocity',
    windowMs: 10 * MIN,
    atThreshold: 2,
    unit: (u, i, t) => clickEvent(u, t, { country: COUNTRIES[i % COUNTRIES.length] }),
    severity: 'high',
    firedValue: 3,
  },
];

/** Only the rule under test, so other rules' alerts do not get in the way. */
const only = (rule: UserRuleName, over: Record<string, unknown> = {}) =>
  fraudConfigWith(
    Object.fromEntries(
      ALERT_RULES.map((r) => [r, { enabled: r === rule, ...(r === rule ? over : {}) }]),
    ),
  );

/** `n` units of the rule, 200 ms apart from `start`. */
const units = (c: RuleCase, user: string, n: number, start: number, from = 0) =>
  Array.from({ length: n }, (_, i) => c.unit(user, from + i, start + i * 200));

/** An event far ahead on the user's partition moves the watermark past everything before. */
const flush = (user: string, t: number) => clickEvent(user, t);

describe.each(CASES)('$rule (per user, tumbling window, strict threshold)', (c) => {
  const W = T0; // aligned to 1 min and 10 min

  it('fires just over the threshold, on the crossing event, with the alert record of SPEC §7', () => {
    const d = fraudDriver(only(c.rule));
    pipeEvents(d, units(c, 'u1', c.atThreshold, W));
    expect(alerts(d)).toEqual([]); // fires as soon as crossed, not at window close
    pipeEvents(d, units(c, 'u1', 1, W + 30_000, c.atThreshold));
    const [alert, ...more] = alerts(d);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      alert_id: `${c.rule}:u1:${iso(W)}`,
      rule: c.rule,
      severity: c.severity,
      user_id: 'u1',
      window_start: iso(W),
      window_end: iso(W + c.windowMs),
      value: c.firedValue,
      threshold: DEFAULT_FRAUD_CONFIG.rules[c.rule].threshold,
      detected_at: iso(WALL),
    });
    expect(d.readTable('alerts')).toEqual([{ ...alert }]);
  });

  it('does not fire exactly at the threshold', () => {
    const d = fraudDriver(only(c.rule));
    pipeEvents(d, units(c, 'u1', c.atThreshold, W));
    pipeEvents(d, [flush('u1', W + 3 * c.windowMs)]);
    expect(alerts(d)).toEqual([]);
  });

  it('does not fire when the activity straddles two windows (threshold units on each side)', () => {
    const d = fraudDriver(only(c.rule));
    const boundary = W + c.windowMs;
    const before = units(c, 'u1', c.atThreshold, boundary - c.atThreshold * 200 - 1);
    const after = units(c, 'u1', c.atThreshold, boundary, c.atThreshold);
    pipeEvents(d, [...before, ...after, flush('u1', W + 4 * c.windowMs)]);
    expect(alerts(d)).toEqual([]);
  });

  it('fires once per window while the activity goes on, and again in the next window', () => {
    const d = fraudDriver(only(c.rule));
    pipeEvents(d, units(c, 'u1', 3 * c.atThreshold + 3, W));
    pipeEvents(d, units(c, 'u1', 3 * c.atThreshold + 3, W + c.windowMs));
    expect(alerts(d).map((a) => a.alert_id)).toEqual([
      `${c.rule}:u1:${iso(W)}`,
      `${c.rule}:u1:${iso(W + c.windowMs)}`,
    ]);
  });

  it('keeps users apart', () => {
    const d = fraudDriver(only(c.rule), { partitions: 3 });
    const half = Math.ceil((c.atThreshold + 1) / 2);
    pipeEvents(d, [...units(c, 'u1', half, W), ...units(c, 'u2', half, W, half)]);
    pipeEvents(d, units(c, 'u3', c.atThreshold + 1, W));
    expect(alerts(d).map((a) => a.user_id)).toEqual(['u3']);
  });

  it('gives the same alerts for out-of-order input within the allowed lateness as for in-order input', () => {
    // Three users, three windows each; some windows just over, some exactly at the threshold.
    const inOrder: ClickEvent[] = [];
    for (let w = 0; w < 3; w++) {
      const start = W + w * c.windowMs;
      inOrder.push(...units(c, 'u1', c.atThreshold + (w === 1 ? 0 : 1), start));
      inOrder.push(...units(c, 'u2', c.atThreshold + (w === 1 ? 1 : 0), start + 1000));
      inOrder.push(...units(c, 'u3', 2 * c.atThreshold, start + 2000));
    }
    inOrder.sort((a, b) => Date.parse(a.event_time) - Date.parse(b.event_time));
    const run = (events: ClickEvent[]) => {
      const d = fraudDriver(only(c.rule));
      pipeEvents(d, [
        ...events,
        flush('u1', W + 10 * c.windowMs),
        flush('u2', W + 10 * c.windowMs),
        flush('u3', W + 10 * c.windowMs),
      ]);
      expect(d.readOutput(topics.late)).toEqual([]);
      return alerts(d);
    };
    const expected = run(inOrder);
    expect(expected.map((a) => a.alert_id).sort()).toEqual(
      [
        `${c.rule}:u1:${iso(W)}`,
        `${c.rule}:u1:${iso(W + 2 * c.windowMs)}`,
        `${c.rule}:u2:${iso(W + c.windowMs)}`,
        `${c.rule}:u3:${iso(W)}`,
        `${c.rule}:u3:${iso(W + c.windowMs)}`,
        `${c.rule}:u3:${iso(W + 2 * c.windowMs)}`,
      ].sort(),
    );
    // Shuffled within each window's first minute: at most a minute of disorder, under the 2 min lateness.
    for (const seed of [1, 2, 3]) {
      const byMinute = new Map<number, ClickEvent[]>();
      for (const e of inOrder) {
        const m = Math.floor(Date.parse(e.event_time) / MIN);
        byMinute.set(m, [...(byMinute.get(m) ?? []), e]);
      }
      const outOfOrder = [...byMinute.values()].flatMap((events, i) =>
        shuffled(events, seed * 100 + i),
      );
      const got = run(outOfOrder);
      const key = (a: { alert_id: string }) => a.alert_id;
      expect(got.map(key).sort()).toEqual(expected.map(key).sort());
      // Counting rules add 1 per unit: the value at crossing is the same in any order.
      if (c.rule !== 'high_value')
        expect(got.map((a) => [a.alert_id, a.value]).sort()).toEqual(
          expected.map((a) => [a.alert_id, a.value]).sort(),
        );
    }
  });

  it('never fires when disabled', () => {
    const d = fraudDriver(only(c.rule, { enabled: false }));
    pipeEvents(d, units(c, 'u1', 5 * c.atThreshold + 5, W));
    expect(alerts(d)).toEqual([]);
    expect(d.store(USER_RULES_STORE).size).toBe(0);
  });

  it('uses the configured threshold, window and severity', () => {
    const d = fraudDriver(
      only(c.rule, { threshold: 1, windowMs: 2 * c.windowMs, severity: 'low' }),
    );
    pipeEvents(d, units(c, 'u1', 1, W + c.windowMs));
    pipeEvents(d, units(c, 'u1', 1, W + c.windowMs + 1000, 1));
    expect(alerts(d)).toEqual([
      expect.objectContaining({
        alert_id: `${c.rule}:u1:${iso(W)}`,
        window_end: iso(W + 2 * c.windowMs),
        threshold: 1,
        severity: 'low',
      }),
    ]);
  });

  it("drops a window's state once the watermark passes its end, and a restart does not fire twice", () => {
    const d = fraudDriver(only(c.rule));
    pipeEvents(d, units(c, 'u1', c.atThreshold + 1, W));
    expect(alerts(d)).toHaveLength(1);
    d.restart();
    pipeEvents(d, units(c, 'u1', c.atThreshold + 1, W + 20_000, c.atThreshold + 1));
    expect(alerts(d)).toEqual([]);
    expect(d.store(USER_RULES_STORE).size).toBe(1);
    pipeEvents(d, [flush('u1', W + c.windowMs + 2 * MIN)]);
    expect(d.store(USER_RULES_STORE).size).toBe(c.rule === 'click_flood' ? 1 : 0); // the flush click opens a new click_flood window
  });
});

describe('per-user rule details', () => {
  it('high_value sums price × quantity of purchases in cents: 10,000.00 does not fire, 10,000.01 does', () => {
    const d = fraudDriver(only('high_value'));
    const buy = (t: number, price: number, quantity = 1) =>
      clickEvent('u1', t, { event_type: 'purchase', price, quantity });
    // 0.1 + 0.2 style amounts: float sums would drift, cents do not.
    pipeEvents(d, [
      buy(T0, 3333.33, 3),
      buy(T0 + 1, 0.01),
      clickEvent('u1', T0 + 2, { event_type: 'purchase' }),
      clickEvent('u1', T0 + 3, { event_type: 'cart', price: 99_999 }),
    ]);
    expect(alerts(d)).toEqual([]); // 9,999.99 + 0.01 = 10,000.00; a purchase without price and a cart add nothing
    pipeEvents(d, [buy(T0 + 4, 0.01)]);
    const [alert] = alerts(d);
    expect(alert.value).toBe(10_000.01);
    expect(alert.evidence).toEqual({
      total: 10_000.01,
      purchases: 3,
      amounts: [9999.99, 0.01, 0.01],
    });
  });

  it('ip_hopping and geo_velocity count distinct values exactly; evidence lists them', () => {
    const d = fraudDriver(only('ip_hopping'));
    const ips = Array.from({ length: 11 }, (_, i) => `192.168.1.${i}`);
    // Repeats of the same IPs (and events without an IP) do not count.
    pipeEvents(
      d,
      [...ips.slice(0, 10), ...ips.slice(0, 10)].map((ip, i) =>
        clickEvent('u1', T0 + i * 1000, { ip }),
      ),
    );
    pipeEvents(d, [clickEvent('u1', T0 + 30_000)]);
    expect(alerts(d)).toEqual([]);
    pipeEvents(d, [clickEvent('u1', T0 + 31_000, { ip: ips[10] })]);
    const [alert] = alerts(d);
    expect(alert.evidence).toEqual({ distinct_ips: 11, ips: [...ips].sort() });

    const g = fraudDriver(only('geo_velocity'));
    pipeEvents(
      g,
      ['DE', 'de', 'FR', 'FR'].map((country, i) => clickEvent('u2', T0 + i * 1000, { country })),
    );
    expect(alerts(g)).toEqual([]);
    pipeEvents(g, [clickEvent('u2', T0 + 9 * MIN + 59_999, { country: 'US' })]);
    expect(alerts(g)).toEqual([
      expect.objectContaining({
        rule: 'geo_velocity',
        value: 3,
        evidence: { distinct_countries: 3, countries: ['DE', 'FR', 'US'] },
      }),
    ]);
  });

  it('click_flood counts every event type; evidence is the count', () => {
    const d = fraudDriver(only('click_flood'));
    pipeEvents(
      d,
      Array.from({ length: 51 }, (_, i) =>
        clickEvent('u1', T0 + i * 1000, { event_type: EVENT_TYPES[i % EVENT_TYPES.length] }),
      ),
    );
    expect(alerts(d)).toEqual([expect.objectContaining({ value: 51, evidence: { events: 51 } })]);
  });

  it('all rules run together on one stream, each alerting for itself', () => {
    const d = fraudDriver();
    const events = Array.from({ length: 60 }, (_, i) =>
      clickEvent('u1', T0 + i * 500, {
        event_type: 'purchase',
        price: 200,
        ip: `10.1.0.${i}`,
        country: COUNTRIES[i % 4],
      }),
    );
    pipeEvents(d, events);
    expect(alerts(d).map((a) => [a.rule, a.value])).toEqual([
      ['geo_velocity', 3],
      ['purchase_velocity', 6],
      ['ip_hopping', 11],
      ['click_flood', 51],
      ['high_value', 10_200],
    ]);
  });
});

describe('one store key per user', () => {
  const legacy = (windows: Array<[string, unknown]>) =>
    perWindowTopology(windows, { allowedLatenessMs: 2 * MIN, wallClock: WALL, partitions: 1 });

  it("keeps all of a user's rule windows under the user's key", () => {
    const d = fraudDriver();
    pipeEvents(d, [
      clickEvent('u1', T0, { ip: '10.0.0.1', country: 'DE' }),
      clickEvent('u2', T0, { ip: '10.0.0.2' }),
    ]);
    const store = d.store<UserWindows | Uint8Array>(USER_RULES_STORE);
    expect([...store.entries()].map(([key]) => key).sort()).toEqual(['u|u1', 'u|u2']);
    // Committed (the driver commits after every record), so at rest as their bytes.
    expect(store.get('u|u1')).toBeInstanceOf(Uint8Array);
    expect(userWindowsOf(store.get('u|u1')!).map((w) => w.rule)).toEqual([
      'click_flood',
      'ip_hopping',
      'geo_velocity',
    ]);
  });

  it('an upgrade moves the windows stored one per key (the build before) to their user and goes on', () => {
    const window = (acc: unknown, windowMs: number) => ({
      user_id: 'u1',
      start: T0,
      end: T0 + windowMs,
      acc,
      fired: false,
    });
    const ips = Array.from({ length: 10 }, (_, i) => `10.0.0.${i}`).sort();
    const d = legacy([
      [`click_flood|u1|${T0}`, window({ events: 50 }, MIN)],
      [`ip_hopping|u1|${T0}`, window({ ips }, 10 * MIN)],
      [`purchase_velocity|u2|${T0}`, { ...window({ purchases: 1 }, 10 * MIN), user_id: 'u2' }],
    ]);
    pipeEvents(d, [clickEvent('u0', T0)]); // the build before stores its windows
    d.restart(fraudTopology({ topics, cfg: DEFAULT_FRAUD_CONFIG }));
    // One more click from a new IP crosses both thresholds of the windows the build before left open.
    pipeEvents(d, [clickEvent('u1', T0 + 1000, { ip: '10.0.0.99' })]);
    expect(
      alerts(d)
        .map((a) => [a.rule, a.value])
        .sort(),
    ).toEqual([
      ['click_flood', 51],
      ['ip_hopping', 11],
    ]);
    d.restart();
    const store = d.store<UserWindows | Uint8Array>(USER_RULES_STORE);
    expect([...store.entries()].map(([key]) => key).sort()).toEqual(['u|u1', 'u|u2']);
    expect(userWindowsOf(store.get('u|u2')!)).toEqual([
      {
        rule: 'purchase_velocity',
        start: T0,
        end: T0 + 10 * MIN,
        acc: { purchases: 1 },
        fired: false,
      },
    ]);
  });

  it('refuses a stored key of neither layout, naming it', () => {
    const d = legacy([['bogus|u1|1', { user_id: 'u1', start: 0, end: 1, acc: {}, fired: false }]]);
    pipeEvents(d, [clickEvent('u1', T0)]);
    expect(() => d.restart(fraudTopology({ topics, cfg: DEFAULT_FRAUD_CONFIG }))).toThrow(
      new StateFormatError(
        `${USER_RULES_STORE}: key "bogus|u1|1" is neither a user's ("u|<user>") nor a window's ("<rule>|<user>|<start>")`,
      ),
    );
  });
});

/**
 * A driver whose first build stores `windows` in the rule store at its first record, as the build
 * before one key per user did (same application id, source and store).
 */
function perWindowTopology(
  windows: Array<[string, unknown]>,
  options: ConstructorParameters<typeof TopologyTestDriver>[1],
): TopologyTestDriver {
  const b = new TopologyBuilder(FRAUD_DETECTOR_APP_ID);
  b.stream<ClickEvent>(topics.events, clickEventSource('fraud-dedupe')).process({
    name: USER_RULES_NODE,
    stores: [USER_RULES_STORE],
    create: (ctx) => ({
      process() {
        const store = ctx.store(USER_RULES_STORE);
        if (store.size === 0) for (const [key, value] of windows) store.put(key, value);
      },
    }),
  });
  return new TopologyTestDriver(b.build(), options);
}
