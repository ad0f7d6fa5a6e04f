import { FraudAlert } from '@clickstream/contracts';
import { fraudConfigWith } from '../rules/rule-config';
import { TrafficState } from '../rules/traffic-rules';
import {
  alerts,
  fraudDriver,
  iso,
  MIN,
  minute,
  pipeMinutes,
  T0,
  topics,
  WALL,
} from '../../../test/fraud-fixtures';
import { TRAFFIC_RULES_STORE, TRAFFIC_STATE_KEY } from './traffic-rules.node';

/** `counts[i]` events in minute T0 + i. */
const minutes = (counts: number[], from = 0) =>
  counts.map((n, i) => minute(T0 + (from + i) * MIN, n));
const flat = (n: number, events: number) => Array.from({ length: n }, () => events);
const summary = (list: FraudAlert[]) =>
  list.map((a) => [a.rule, a.window_start, a.value, a.threshold]);
const trafficState = (d: ReturnType<typeof fraudDriver>) =>
  d
    .store<TrafficState>(TRAFFIC_RULES_STORE, d.partitionFor('1m:all'), topics.aggregates)
    .get(TRAFFIC_STATE_KEY);

describe('traffic_spike / traffic_drop over final all 1 min windows', () => {
  it('traffic_spike: events > 2.5 × the mean of the previous minutes (strict)', () => {
    const d = fraudDriver();
    pipeMinutes(d, minutes([...flat(12, 200), 500, 501]));
    // Minute 12: mean 200, 500 is not above 500. Minute 13: mean (12·200 + 500) / 13 = 223.08, 501 < 557.7.
    expect(alerts(d)).toEqual([]);
    const d2 = fraudDriver();
    pipeMinutes(d2, minutes([...flat(12, 200), 501]));
    const [alert, ...more] = alerts(d2);
    expect(more).toEqual([]);
    expect(alert).toEqual({
      alert_id: `traffic_spike:*:${iso(T0 + 12 * MIN)}`,
      rule: 'traffic_spike',
      severity: 'medium',
      user_id: null,
      window_start: iso(T0 + 12 * MIN),
      window_end: iso(T0 + 13 * MIN),
      value: 501,
      threshold: 500,
      detected_at: iso(WALL),
      evidence: { events: 501, baseline_mean: 200, baseline_minutes: 12, factor: 2.5 },
    });
    expect(d2.readTable('alerts')).toEqual([alert]);
  });

  it('traffic_drop: events < 0.4 × the mean, including a published minute of 0 events', () => {
    const d = fraudDriver();
    pipeMinutes(d, minutes([...flat(10, 250), 100, 99, 0]));
    // mean 250 → 100 is not below 100; mean (10·250 + 100) / 11 = 236.36 → 99 < 94.5? no; then 0 is.
    expect(summary(alerts(d))).toEqual([
      ['traffic_drop', iso(T0 + 12 * MIN), 0, 0.4 * ((10 * 250 + 100 + 99) / 12)],
    ]);
    const d2 = fraudDriver();
    pipeMinutes(d2, minutes([...flat(10, 250), 99]));
    expect(alerts(d2)).toEqual([
      expect.objectContaining({
        rule: 'traffic_drop',
        severity: 'high',
        user_id: null,
        value: 99,
        threshold: 100,
      }),
    ]);
  });

  it('a minute missing from the sequence is a minute of 0 events: it drops, and counts as 0 in the baseline', () => {
    const d = fraudDriver();
    const records = minutes(flat(12, 200));
    pipeMinutes(d, [...records, minute(T0 + 13 * MIN, 200)]); // minute 12 never published
    expect(alerts(d)).toEqual([
      expect.objectContaining({
        alert_id: `traffic_drop:*:${iso(T0 + 12 * MIN)}`,
        value: 0,
        threshold: 80,
        evidence: {
          events: 0,
          baseline_mean: 200,
          baseline_minutes: 12,
          factor: 0.4,
          missing_minute: true,
        },
      }),
    ]);
    expect(trafficState(d)).toEqual({ last: T0 + 13 * MIN, counts: [...flat(12, 200), 0, 200] });
  });

  it('no alert during warm-up: needs at least 10 previous minutes', () => {
    const d = fraudDriver();
    pipeMinutes(d, minutes([...flat(9, 200), 10_000]));
    expect(alerts(d)).toEqual([]);
    const d2 = fraudDriver();
    pipeMinutes(d2, minutes([...flat(10, 200), 10_000]));
    expect(summary(alerts(d2))).toEqual([['traffic_spike', iso(T0 + 10 * MIN), 10_000, 500]]);
  });

  it('no alert when the baseline mean is below 100', () => {
    const d = fraudDriver();
    pipeMinutes(d, minutes([...flat(20, 99), 10_000]));
    const quiet = fraudDriver();
    pipeMinutes(quiet, minutes([...flat(20, 99), 0]));
    expect([...alerts(d), ...alerts(quiet)]).toEqual([]);
    const d2 = fraudDriver();
    pipeMinutes(d2, minutes([...flat(20, 100), 251]));
    expect(summary(alerts(d2))).toEqual([['traffic_spike', iso(T0 + 20 * MIN), 251, 250]]);
  });

  it('the baseline is the previous 30 minutes only', () => {
    const d = fraudDriver();
    // 10 busy minutes, then 30 of 100: at minute 40 the busy ones are out of the baseline.
    pipeMinutes(d, minutes([...flat(10, 10_000), ...flat(30, 100), 251]));
    const got = alerts(d);
    expect(got.filter((a) => a.rule === 'traffic_spike')).toEqual([
      expect.objectContaining({ window_start: iso(T0 + 40 * MIN), threshold: 250 }),
    ]);
    expect(trafficState(d)?.counts).toHaveLength(30);
  });

  it('after a gap longer than the baseline nothing fires: the missing minutes make a mean of 0', () => {
    const d = fraudDriver();
    pipeMinutes(d, minutes(flat(30, 200)));
    expect(alerts(d)).toEqual([]);
    pipeMinutes(d, [minute(T0 + 200 * MIN, 5000)]);
    const got = alerts(d);
    // Only the first missing minutes drop, while the baseline still holds enough traffic.
    expect(got.every((a) => a.rule === 'traffic_drop' && a.evidence.missing_minute === true)).toBe(
      true,
    );
    expect(got.map((a) => a.window_start)[0]).toBe(iso(T0 + 30 * MIN));
    expect(got.length).toBeLessThan(30);
    expect(trafficState(d)).toEqual({ last: T0 + 200 * MIN, counts: [...flat(29, 0), 5000] });
  });

  it('reads only final all 1 min records; a repeated minute changes nothing', () => {
    const d = fraudDriver();
    const base = minutes(flat(12, 200));
    pipeMinutes(d, [
      ...base,
      minute(T0 + 11 * MIN, 5000), // a repeat of minute 11
      minute(T0 + 12 * MIN, 5000, { dimension: 'view' }),
      minute(T0 + 12 * MIN, 5000, { window_size: '5m', window_end: iso(T0 + 17 * MIN) }),
      minute(T0 + 12 * MIN, 5000, { final: false }),
    ]);
    expect(alerts(d)).toEqual([]);
    expect(trafficState(d)).toEqual({ last: T0 + 11 * MIN, counts: flat(12, 200) });
  });

  it('a malformed all 1 min record is dead-lettered, the stream goes on', () => {
    const d = fraudDriver();
    const bad = { ...minute(T0, 200), events: 'lots' };
    d.pipe(topics.aggregates, '1m:all', bad);
    pipeMinutes(d, minutes(flat(11, 200), 1));
    expect(trafficState(d)?.counts).toHaveLength(11);
  });

  it('disabled rules never fire', () => {
    const d = fraudDriver(
      fraudConfigWith({ traffic_spike: { enabled: false }, traffic_drop: { enabled: false } }),
    );
    pipeMinutes(d, minutes([...flat(12, 200), 10_000, 0]));
    expect(alerts(d)).toEqual([]);
    const d2 = fraudDriver(fraudConfigWith({ traffic_spike: { enabled: false } }));
    pipeMinutes(d2, minutes([...flat(12, 200), 10_000, 0]));
    expect(alerts(d2).map((a) => a.rule)).toEqual(['traffic_drop']);
  });

  it('follows the configured factors and baseline settings', () => {
    const cfg = fraudConfigWith(
      { traffic_spike: { threshold: 2, severity: 'high' } },
      { traffic: { baselineMinutes: 5, minPreviousMinutes: 3, minMean: 10 } },
    );
    const d = fraudDriver(cfg);
    pipeMinutes(d, minutes([1000, 20, 20, 20, 20, 20, 41]));
    // Minutes 0–2 have fewer than 3 previous minutes. Minutes 3–5 drop (20 < 0.4 × 346.7, 265, 216:
    // the 1000 is still among the previous 5). Minute 6: previous 5 are all 20, and 41 > 2 × 20.
    expect(summary(alerts(d)).map(([rule, start]) => [rule, start])).toEqual([
      ['traffic_drop', iso(T0 + 3 * MIN)],
      ['traffic_drop', iso(T0 + 4 * MIN)],
      ['traffic_drop', iso(T0 + 5 * MIN)],
      ['traffic_spike', iso(T0 + 6 * MIN)],
    ]);
  });
});
