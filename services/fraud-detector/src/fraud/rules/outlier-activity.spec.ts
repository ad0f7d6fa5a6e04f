import { fraudConfigWith } from './rule-config';
import { evaluateOutlierWindow, outliers, quantile, UserCount } from './outlier-activity';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 22, 10, 0, 0);
const NOW = Date.UTC(2026, 10, 22, 11, 2, 0);
const PARAMS = { minUsers: 20, minEvents: 10, iqrFactor: 1.5 };

const users = (counts: number[]): UserCount[] =>
  counts.map((events, i) => ({ user_id: `u${String(i + 1).padStart(2, '0')}`, events }));

/*
 * 20 active users; their counts sorted (index: value):
 *   0:1 1:2 2:2 3:3 4:3 5:4 6:4 7:4 8:5 9:5 10:5 11:6 12:6 13:7 14:7 15:8 16:9 17:10 18:13 19:40
 * Q1: position 0.25·(20−1) = 4.75  → s[4] + 0.75·(s[5] − s[4]) = 3 + 0.75·1 = 3.75
 * Q3: position 0.75·(20−1) = 14.25 → s[14] + 0.25·(s[15] − s[14]) = 7 + 0.25·1 = 7.25
 * IQR = 3.5; fence = Q3 + 1.5·IQR = 7.25 + 5.25 = 12.5  (numpy.percentile gives 3.75 / 7.25 too)
 * Flagged: 13 and 40 (>= 10 events and > 12.5); 10 is not above the fence.
 */
const HAND = [5, 40, 2, 3, 9, 4, 1, 13, 6, 7, 4, 5, 10, 2, 8, 3, 6, 7, 4, 5];

describe('quantile (linear interpolation, numpy default / percentile_cont)', () => {
  it('interpolates between the closest ranks at p·(n−1)', () => {
    const s = [1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    // p=0.25: position 2.5 → 2 + 0.5·(3 − 2) = 2.5;  p=0.75: position 7.5 → 21 + 0.5·(34 − 21) = 27.5
    expect(quantile(s, 0.25)).toBe(2.5);
    expect(quantile(s, 0.75)).toBe(27.5);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(89);
    expect(quantile([7], 0.75)).toBe(7);
  });

  it('has no quantile of nothing', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });
});

describe('outliers', () => {
  it('computes the hand-worked example and flags users over the fence with >= min_events', () => {
    const r = outliers(users(HAND), PARAMS);
    expect(r).toMatchObject({ users: 20, enough: true, q1: 3.75, q3: 7.25, iqr: 3.5, fence: 12.5 });
    expect(r.flagged).toEqual([
      { user_id: 'u02', events: 40 },
      { user_id: 'u08', events: 13 },
    ]);
  });

  it('does not depend on the order of the counts', () => {
    const counts = users(HAND);
    expect(outliers([...counts].reverse(), PARAMS)).toEqual(outliers(counts, PARAMS));
  });

  it('needs at least min_users active users (users with 0 events do not count)', () => {
    const nineteen = users(HAND.filter((_, i) => i !== 0));
    expect(outliers(nineteen, PARAMS)).toMatchObject({ users: 19, enough: false, flagged: [] });
    expect(outliers([...nineteen, { user_id: 'idle', events: 0 }], PARAMS).flagged).toEqual([]);
    expect(outliers([], PARAMS)).toMatchObject({ users: 0, enough: false, flagged: [] });
  });

  it('needs at least min_events: 9 is over a fence of 1 but too few events; 10 is flagged', () => {
    // 19 users with 1 event: Q1 = Q3 = 1, IQR = 0, fence = 1.
    const ones = Array.from({ length: 19 }, () => 1);
    expect(outliers(users([...ones, 9]), PARAMS)).toMatchObject({ fence: 1, flagged: [] });
    expect(outliers(users([...ones, 10]), PARAMS).flagged).toEqual([
      { user_id: 'u20', events: 10 },
    ]);
  });

  it('is strict: a user exactly on the fence is not flagged', () => {
    // 15 users with 10 events and 5 with 20: Q1 (position 4.75) = 10; Q3 (position 14.25) =
    // 10 + 0.25·(20 − 10) = 12.5; IQR = 2.5; with k = 3 the fence is 12.5 + 7.5 = 20 exactly.
    const counts = users([
      ...Array.from({ length: 15 }, () => 10),
      ...Array.from({ length: 5 }, () => 20),
    ]);
    const r = outliers(counts, { ...PARAMS, iqrFactor: 3 });
    expect(r).toMatchObject({ q1: 10, q3: 12.5, iqr: 2.5, fence: 20, flagged: [] });
  });
});

describe('evaluateOutlierWindow', () => {
  it('makes one low-severity alert per flagged user with the quartiles as evidence', () => {
    const alerts = evaluateOutlierWindow(users(HAND), START, START + HOUR, fraudConfigWith(), NOW);
    expect(alerts).toEqual([
      {
        alert_id: 'outlier_activity:u02:2026-11-22T10:00:00.000Z',
        rule: 'outlier_activity',
        severity: 'low',
        user_id: 'u02',
        window_start: '2026-11-22T10:00:00.000Z',
        window_end: '2026-11-22T11:00:00.000Z',
        value: 40,
        threshold: 12.5,
        detected_at: '2026-11-22T11:02:00.000Z',
        evidence: {
          users: 20,
          q1: 3.75,
          q3: 7.25,
          iqr: 3.5,
          fence: 12.5,
          iqr_factor: 1.5,
          min_events: 10,
          events: 40,
        },
      },
      expect.objectContaining({
        alert_id: 'outlier_activity:u08:2026-11-22T10:00:00.000Z',
        value: 13,
      }),
    ]);
  });

  it('follows the configured factor, minimums and severity, and is silent when disabled', () => {
    const cfg = fraudConfigWith(
      { outlier_activity: { threshold: 0, severity: 'medium' } },
      { outlier: { minEvents: 9 } },
    );
    // fence = Q3 = 7.25: 8, 9, 10, 13, 40 are above it; 8 has fewer than 9 events
    expect(
      evaluateOutlierWindow(users(HAND), START, START + HOUR, cfg, NOW).map((a) => [
        a.user_id,
        a.severity,
      ]),
    ).toEqual([
      ['u02', 'medium'],
      ['u05', 'medium'],
      ['u08', 'medium'],
      ['u13', 'medium'],
    ]);
    expect(
      evaluateOutlierWindow(
        users(HAND),
        START,
        START + HOUR,
        fraudConfigWith({ outlier_activity: { enabled: false } }),
        NOW,
      ),
    ).toEqual([]);
    expect(
      evaluateOutlierWindow(
        users(HAND),
        START,
        START + HOUR,
        fraudConfigWith({}, { outlier: { minUsers: 21 } }),
        NOW,
      ),
    ).toEqual([]);
  });
});
