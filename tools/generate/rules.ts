/**
 * The fraud and anomaly rules of SPEC §7, restated for the load generator: their thresholds (all
 * overridable, as the detector's are), and small exact evaluators the generator uses to write its
 * manifest. These are written from the SPEC table, not shared with services/fraud-detector, so the
 * manifest is an independent expectation of what the detector must report.
 */
import { ALERT_RULES } from '@clickstream/contracts';

/** The rule names are the contract's; thresholds and evaluators below are restated from the SPEC. */
export const FRAUD_PATTERNS = ALERT_RULES;

export type FraudPattern = (typeof FRAUD_PATTERNS)[number];

/** Rules that a near-miss case exists for (the per-user threshold rules). */
export const NEAR_MISS_RULES = [
  'click_flood',
  'ip_hopping',
  'purchase_velocity',
  'high_value',
  'geo_velocity',
] as const satisfies readonly FraudPattern[];

export function isFraudPattern(value: string): value is FraudPattern {
  return (FRAUD_PATTERNS as readonly string[]).includes(value);
}

/** SPEC §7 thresholds; every rule fires on value > threshold (strict). */
export interface FraudThresholds {
  /** click_flood: events of one user per window. */
  clickFlood: number;
  clickFloodWindowMs: number;
  /** ip_hopping: distinct IPs of one user per userWindowMs. */
  ipHopping: number;
  /** purchase_velocity: purchases of one user per userWindowMs. */
  purchaseVelocity: number;
  /** high_value: Σ price × quantity of one user's purchases per userWindowMs. */
  highValue: number;
  /** geo_velocity: distinct countries of one user per userWindowMs. */
  geoVelocity: number;
  /** Window of ip_hopping, purchase_velocity, high_value and geo_velocity. */
  userWindowMs: number;
  /** outlier_activity fires for events >= this and > Q3 + factor · IQR. */
  outlierMinEvents: number;
  outlierIqrFactor: number;
  /** outlier_activity needs at least this many active users in the window. */
  outlierMinUsers: number;
  outlierWindowMs: number;
  /** traffic_spike: minute > spikeFactor × mean of the previous minutes. */
  spikeFactor: number;
  /** traffic_drop: minute < dropFactor × that mean. */
  dropFactor: number;
  /** Both global rules need this mean... */
  globalMinMean: number;
  /** ...over at most this many previous minutes (empty ones as 0)... */
  globalHistoryMinutes: number;
  /** ...and at least this many of them. */
  globalMinHistoryMinutes: number;
}

export const DEFAULT_THRESHOLDS: Readonly<FraudThresholds> = Object.freeze({
  clickFlood: 50,
  clickFloodWindowMs: 60_000,
  ipHopping: 10,
  purchaseVelocity: 5,
  highValue: 10_000,
  geoVelocity: 2,
  userWindowMs: 600_000,
  outlierMinEvents: 10,
  outlierIqrFactor: 1.5,
  outlierMinUsers: 20,
  outlierWindowMs: 3_600_000,
  spikeFactor: 2.5,
  dropFactor: 0.4,
  globalMinMean: 100,
  globalHistoryMinutes: 30,
  globalMinHistoryMinutes: 10,
});

/** The global rules run over the `all` 1-minute windows. */
export const GLOBAL_WINDOW_MS = 60_000;

export function alignDown(t: number, windowMs: number): number {
  return Math.floor(t / windowMs) * windowMs;
}

// ---------------------------------------------------------------------------------------------
// outlier_activity

export interface OutlierFence {
  activeUsers: number;
  q1: number;
  q3: number;
  fence: number;
}

/**
 * Q1, Q3 (linear interpolation between order statistics, position p·(n−1), as numpy/pandas do)
 * and the fence Q3 + factor·IQR over the event counts of the users active in a window; null when
 * fewer than `minUsers` users are active (the rule does not apply then).
 */
export function outlierFence(
  counts: ArrayLike<number>,
  th: Pick<FraudThresholds, 'outlierIqrFactor' | 'outlierMinUsers'>,
): OutlierFence | null {
  const active = Float64Array.from(counts).filter((c) => c >= 1);
  if (active.length < th.outlierMinUsers || active.length === 0) return null;
  active.sort();
  const q1 = quantile(active, 0.25);
  const q3 = quantile(active, 0.75);
  return { activeUsers: active.length, q1, q3, fence: q3 + th.outlierIqrFactor * (q3 - q1) };
}

/** Linear-interpolated quantile of an ascending array. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

export function isOutlier(count: number, fence: OutlierFence | null, minEvents: number): boolean {
  return fence !== null && count >= minEvents && count > fence.fence;
}

// ---------------------------------------------------------------------------------------------
// Per-user threshold rules, evaluated exactly over a (small) set of events

export interface RuleEvent {
  t: number;
  user: string;
  type: string;
  ip?: string;
  country?: string;
  price?: number;
  quantity?: number;
}

export type UserThresholdRule = (typeof NEAR_MISS_RULES)[number];

export interface WindowValue {
  rule: UserThresholdRule;
  user: string;
  windowStart: number;
  windowEnd: number;
  value: number;
  threshold: number;
}

/**
 * The value of every per-user threshold rule in every aligned window where the user has events
 * (purchase rules: only windows with purchases). Σ amounts are summed in event-time order.
 */
export function userWindowValues(events: readonly RuleEvent[], th: FraudThresholds): WindowValue[] {
  const sorted = [...events].sort((a, b) => a.t - b.t || cmp(a.user, b.user));
  const acc = new Map<
    string,
    { events: number; ips: Set<string>; countries: Set<string>; purchases: number; amount: number }
  >();
  const get = (key: string) => {
    let a = acc.get(key);
    if (!a)
      acc.set(
        key,
        (a = { events: 0, ips: new Set(), countries: new Set(), purchases: 0, amount: 0 }),
      );
    return a;
  };
  for (const e of sorted) {
    get(`f|${e.user}|${alignDown(e.t, th.clickFloodWindowMs)}`).events++;
    const w = get(`u|${e.user}|${alignDown(e.t, th.userWindowMs)}`);
    if (e.ip) w.ips.add(e.ip);
    if (e.country) w.countries.add(e.country.toUpperCase());
    if (e.type === 'purchase') {
      w.purchases++;
      w.amount += (e.price ?? 0) * (e.quantity ?? 1);
    }
  }
  const out: WindowValue[] = [];
  for (const [key, a] of acc) {
    const [kind, user, startText] = splitKey(key);
    const windowStart = Number(startText);
    if (kind === 'f') {
      out.push({
        rule: 'click_flood',
        user,
        windowStart,
        windowEnd: windowStart + th.clickFloodWindowMs,
        value: a.events,
        threshold: th.clickFlood,
      });
      continue;
    }
    const windowEnd = windowStart + th.userWindowMs;
    out.push({
      rule: 'ip_hopping',
      user,
      windowStart,
      windowEnd,
      value: a.ips.size,
      threshold: th.ipHopping,
    });
    out.push({
      rule: 'geo_velocity',
      user,
      windowStart,
      windowEnd,
      value: a.countries.size,
      threshold: th.geoVelocity,
    });
    if (a.purchases > 0) {
      out.push({
        rule: 'purchase_velocity',
        user,
        windowStart,
        windowEnd,
        value: a.purchases,
        threshold: th.purchaseVelocity,
      });
      out.push({
        rule: 'high_value',
        user,
        windowStart,
        windowEnd,
        value: a.amount,
        threshold: th.highValue,
      });
    }
  }
  return out.sort(
    (a, b) => a.windowStart - b.windowStart || cmp(a.rule, b.rule) || cmp(a.user, b.user),
  );
}

function splitKey(key: string): [string, string, string] {
  const first = key.indexOf('|');
  const last = key.lastIndexOf('|');
  return [key.slice(0, first), key.slice(first + 1, last), key.slice(last + 1)];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Global minute rules

export interface GlobalHit {
  rule: 'traffic_spike' | 'traffic_drop';
  windowStart: number;
  value: number;
  mean: number;
  threshold: number;
}

/**
 * traffic_spike / traffic_drop over per-minute event counts, fed in event-time order. The history of
 * a minute is the up to `globalHistoryMinutes` minutes before it, counted from the first minute with
 * events (minutes without events inside that range count as 0); a minute is judged only when that
 * history has at least `globalMinHistoryMinutes` minutes and its mean is at least `globalMinMean`.
 */
export class GlobalMinuteRules {
  readonly hits: GlobalHit[] = [];
  private readonly history: number[] = [];
  private minute: number | undefined;
  private count = 0;
  private lastMinuteWithEvents: number | undefined;

  constructor(private readonly th: FraudThresholds) {}

  add(t: number, n = 1): void {
    const m = alignDown(t, GLOBAL_WINDOW_MS);
    if (this.minute === undefined) this.minute = m;
    if (m < this.minute)
      throw new Error(`GlobalMinuteRules needs event-time order (${m} < ${this.minute})`);
    while (this.minute < m) {
      this.close(this.minute, this.count);
      this.minute += GLOBAL_WINDOW_MS;
      this.count = 0;
    }
    this.count += n;
    this.lastMinuteWithEvents = m;
  }

  /**
   * Closes the current minute and then judges up to `trailingMinutes` empty minutes after the last
   * minute with events (the aggregator publishes those too, SPEC §6).
   */
  finish(trailingMinutes = 60): void {
    if (this.minute === undefined || this.lastMinuteWithEvents === undefined) return;
    this.close(this.minute, this.count);
    const last = this.lastMinuteWithEvents;
    for (
      let m = this.minute + GLOBAL_WINDOW_MS;
      m <= last + trailingMinutes * GLOBAL_WINDOW_MS;
      m += GLOBAL_WINDOW_MS
    ) {
      this.close(m, 0);
    }
    this.minute = undefined;
  }

  private close(m: number, count: number): void {
    const h = this.history.length;
    if (h >= this.th.globalMinHistoryMinutes && h > 0) {
      let sum = 0;
      for (const c of this.history) sum += c;
      const mean = sum / h;
      if (mean >= this.th.globalMinMean) {
        const spikeAt = this.th.spikeFactor * mean;
        const dropAt = this.th.dropFactor * mean;
        if (count > spikeAt)
          this.hits.push({
            rule: 'traffic_spike',
            windowStart: m,
            value: count,
            mean,
            threshold: spikeAt,
          });
        if (count < dropAt)
          this.hits.push({
            rule: 'traffic_drop',
            windowStart: m,
            value: count,
            mean,
            threshold: dropAt,
          });
      }
    }
    this.history.push(count);
    if (this.history.length > this.th.globalHistoryMinutes) this.history.shift();
  }
}
