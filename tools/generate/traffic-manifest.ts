/**
 * The manifest: the alerts the fraud detector must raise on the stream (and the near misses it must
 * not), computed exactly from the injected cases, the period plans and the emitted minute counts
 * (see traffic-generator.ts for why the list is exact).
 */
import { formatEventTime } from '@clickstream/contracts';
import { Job } from './fraud-events';
import {
  FraudPattern,
  FraudThresholds,
  GLOBAL_WINDOW_MS,
  GlobalHit,
  NEAR_MISS_RULES,
  OutlierFence,
  RuleEvent,
  userWindowValues,
} from './rules';

export interface ExpectedAlert {
  rule: FraudPattern;
  user_id: string | null;
  window_start: string;
  window_end: string;
  /** The rule's value for the window (events, distinct IPs, purchases, amount, countries, ...). */
  value: number;
  /** What `value` had to exceed (or, for traffic_drop, stay under). */
  threshold: number;
  /** injected: the pattern placed on purpose; incidental: a side effect, still expected. */
  source: 'injected' | 'incidental';
  /** The window ends after the stream: it is final only once the watermark passes the end. */
  trailing?: boolean;
  note?: string;
}

export interface NearMiss {
  rule: FraudPattern;
  user_id: string;
  window_start: string;
  window_end: string;
  value: number;
  threshold: number;
  note: string;
}

export interface TrafficManifest {
  generator: 'clickstream-generate';
  manifest_version: 1;
  /** False until the whole stream has been generated: global-rule entries are missing until then. */
  complete: boolean;
  seed: number;
  users: number;
  rate_per_second: number;
  start: string;
  end: string;
  /** Events in the stream (normal + injected). */
  events: number;
  normal_events: number;
  /** Events of the injected cases, including the spike minute's extra events (sent by normal users). */
  injected_events: number;
  fraud: FraudPattern[];
  near_miss: boolean;
  disorder_ms: number;
  thresholds: FraudThresholds;
  /** Every alert the detector must raise on this stream, sorted by window, rule, user. */
  expected: ExpectedAlert[];
  /** Cases exactly at a threshold: the detector must raise nothing for them. */
  near_misses: NearMiss[];
  warnings: string[];
}

/** Exact per-user rule values for every injected user: expected alerts and near misses. */
export function evaluateInjected(
  jobs: readonly Job[],
  th: FraudThresholds,
): { alerts: ExpectedAlert[]; nearMisses: NearMiss[]; warnings: string[] } {
  const events: RuleEvent[] = jobs.flatMap((job) =>
    job.events.map((e) => ({
      t: e.t,
      user: e.user,
      type: e.type,
      ip: e.ip,
      country: e.country,
      price: e.price,
      quantity: e.quantity,
    })),
  );
  const values = userWindowValues(events, th);
  const alerts: ExpectedAlert[] = [];
  for (const value of values) {
    if (!(value.value > value.threshold)) continue;
    const job = jobs.find((j) => j.user === value.user);
    const injected =
      job?.kind === 'fraud' && job.pattern === value.rule && job.windowStart === value.windowStart;
    alerts.push({
      rule: value.rule,
      user_id: value.user,
      window_start: iso(value.windowStart),
      window_end: iso(value.windowEnd),
      value: round6(value.value),
      threshold: value.threshold,
      source: injected ? 'injected' : 'incidental',
    });
  }
  const nearMisses: NearMiss[] = [];
  const warnings: string[] = [];
  for (const job of jobs) {
    if (job.kind === 'fraud' && (NEAR_MISS_RULES as readonly string[]).includes(job.pattern)) {
      if (
        !alerts.some(
          (a) => a.user_id === job.user && a.rule === job.pattern && a.source === 'injected',
        )
      ) {
        warnings.push(`${job.pattern} case ${job.user} does not cross its threshold`);
      }
    }
    if (job.kind !== 'nearmiss') continue;
    const own = values.filter((v) => v.user === job.user && v.rule === job.pattern);
    const value = Math.max(0, ...own.map((v) => v.value));
    nearMisses.push({
      rule: job.pattern,
      user_id: job.user,
      window_start: iso(job.windowStart),
      window_end: iso(job.windowEnd),
      value: round6(value),
      threshold: own[0]?.threshold ?? 0,
      note: job.note ?? 'exactly at the threshold',
    });
  }
  return { alerts, nearMisses, warnings };
}

/** The outlier_activity alerts of one planned period. */
export function outlierAlerts(
  periodStart: number,
  outliers: ReadonlyArray<{ user: string; value: number }>,
  fence: OutlierFence | null,
  th: FraudThresholds,
  injectedUser: string | undefined,
  streamEnd: number,
): ExpectedAlert[] {
  const windowEnd = periodStart + th.outlierWindowMs;
  return outliers.map(({ user, value }): ExpectedAlert => ({
    rule: 'outlier_activity',
    user_id: user,
    window_start: iso(periodStart),
    window_end: iso(windowEnd),
    value,
    threshold: round6(fence!.fence),
    source: user === injectedUser ? 'injected' : 'incidental',
    ...(windowEnd > streamEnd ? { trailing: true } : {}),
    note: `Q1 ${round6(fence!.q1)}, Q3 ${round6(fence!.q3)}, ${fence!.activeUsers} active users`,
  }));
}

/**
 * The traffic_spike / traffic_drop alerts from the minute counts of a full pass; `planned` maps an
 * injected global rule to its minute, and a planned minute that did not fire is a warning.
 */
export function globalAlerts(
  hits: readonly GlobalHit[],
  planned: ReadonlyMap<string, number>,
  streamEnd: number,
): { alerts: ExpectedAlert[]; warnings: string[] } {
  const unseen = new Map(planned);
  const alerts: ExpectedAlert[] = [];
  for (const hit of hits) {
    const injected = unseen.get(hit.rule) === hit.windowStart;
    if (injected) unseen.delete(hit.rule);
    alerts.push({
      rule: hit.rule,
      user_id: null,
      window_start: iso(hit.windowStart),
      window_end: iso(hit.windowStart + GLOBAL_WINDOW_MS),
      value: hit.value,
      threshold: round6(hit.threshold),
      source: injected ? 'injected' : 'incidental',
      ...(hit.windowStart + GLOBAL_WINDOW_MS > streamEnd ? { trailing: true } : {}),
      note: `mean of previous minutes ${round6(hit.mean)}`,
    });
  }
  const warnings = [...unseen].map(
    ([rule, minute]) =>
      `${rule} was injected at ${iso(minute)} but the minute does not cross the threshold`,
  );
  return { alerts, warnings };
}

/** Manifest order: by window start, then rule, then user. */
export function byWindow(a: ExpectedAlert, b: ExpectedAlert): number {
  return (
    (a.window_start < b.window_start ? -1 : a.window_start > b.window_start ? 1 : 0) ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    ((a.user_id ?? '') < (b.user_id ?? '') ? -1 : (a.user_id ?? '') > (b.user_id ?? '') ? 1 : 0)
  );
}

export function iso(time: number): string {
  return formatEventTime(time);
}

export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
