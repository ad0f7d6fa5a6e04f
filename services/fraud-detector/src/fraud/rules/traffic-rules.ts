import { AggregateRecord, FraudAlert } from '@clickstream/contracts';
import { buildAlert } from './build-alert';
import { FraudConfig } from './rule-config';

/**
 * traffic_spike / traffic_drop (SPEC §7) over the final `all` 1 min windows, in minute order.
 *
 * The baseline of a minute is the mean event count of up to `baselineMinutes` minutes before it;
 * a minute missing between two received ones had no events (the aggregator publishes every minute,
 * empty ones too, until 60 min after the last minute with events), so it counts as 0 in the
 * baseline and is itself judged as a minute of 0 events. The rules judge a minute only with at least
 * `minPreviousMinutes` previous minutes and a mean of at least `minMean`.
 *
 * Alerts: key `*`, user_id null, value = the minute's events, threshold = factor × baseline mean
 * (the derived bound the value crossed); the factor and the mean are in the evidence.
 */

export const MINUTE_MS = 60_000;

/** JSON-serialisable; a new object per change. */
export interface TrafficState {
  /** Start (epoch ms) of the last minute taken into the baseline; null before the first. */
  last: number | null;
  /** Event counts of the previous minutes, oldest first, at most `baselineMinutes` of them. */
  counts: number[];
}

export interface TrafficResult {
  state: TrafficState;
  alerts: FraudAlert[];
  /** Minutes judged (received and filled), for fraud_rule_evaluations_total. */
  judged: number;
}

type TrafficConfig = Pick<FraudConfig, 'rules' | 'traffic'>;

export const initialTrafficState = (): TrafficState => ({ last: null, counts: [] });

/** Takes one final `all` 1 min record into the baseline and judges it (and any minutes missing before it). */
export function trafficStep(
  state: TrafficState,
  record: Pick<AggregateRecord, 'window_start' | 'events'>,
  cfg: TrafficConfig,
  now: number,
): TrafficResult {
  const minute = Date.parse(record.window_start);
  // A minute at or before the last one is a repeat or arrived after the baseline moved past it.
  if (state.last !== null && minute <= state.last) return { state, alerts: [], judged: 0 };

  const alerts: FraudAlert[] = [];
  let counts = state.counts;
  let judged = 0;
  const missing = state.last === null ? 0 : Math.floor((minute - state.last) / MINUTE_MS) - 1;
  // Beyond baselineMinutes missing minutes the baseline is all zeros: nothing more can fire.
  const judgedMissing = Math.min(missing, cfg.traffic.baselineMinutes);
  for (let i = 1; i <= judgedMissing; i++) {
    alerts.push(...judgeMinute(counts, state.last! + i * MINUTE_MS, 0, cfg, now, true));
    counts = pushCount(counts, 0, cfg);
    judged++;
  }
  for (
    let i = judgedMissing;
    i < Math.min(missing, judgedMissing + cfg.traffic.baselineMinutes);
    i++
  )
    counts = pushCount(counts, 0, cfg);

  alerts.push(...judgeMinute(counts, minute, record.events, cfg, now, false));
  judged++;
  return { state: { last: minute, counts: pushCount(counts, record.events, cfg) }, alerts, judged };
}

function pushCount(counts: number[], events: number, cfg: TrafficConfig): number[] {
  const next = [...counts, events];
  return next.length > cfg.traffic.baselineMinutes
    ? next.slice(next.length - cfg.traffic.baselineMinutes)
    : next;
}

/** Mean of the previous minutes, or null when the rules may not judge yet (warm-up, quiet stream). */
export function baselineMean(counts: readonly number[], cfg: TrafficConfig): number | null {
  if (counts.length === 0 || counts.length < cfg.traffic.minPreviousMinutes) return null;
  const mean = counts.reduce((sum, n) => sum + n, 0) / counts.length;
  return mean < cfg.traffic.minMean ? null : mean;
}

function judgeMinute(
  counts: number[],
  minute: number,
  events: number,
  cfg: TrafficConfig,
  now: number,
  missing: boolean,
): FraudAlert[] {
  const mean = baselineMean(counts, cfg);
  if (mean === null) return [];
  const alerts: FraudAlert[] = [];
  const spike = cfg.rules.traffic_spike;
  const drop = cfg.rules.traffic_drop;
  const facts = (factor: number) => ({
    userId: null,
    windowStart: minute,
    windowEnd: minute + MINUTE_MS,
    value: events,
    threshold: factor * mean,
    now,
    evidence: {
      events,
      baseline_mean: mean,
      baseline_minutes: counts.length,
      factor,
      ...(missing ? { missing_minute: true } : {}),
    },
  });
  if (spike.enabled && events > spike.threshold * mean)
    alerts.push(
      buildAlert({ rule: 'traffic_spike', severity: spike.severity, ...facts(spike.threshold) }),
    );
  if (drop.enabled && events < drop.threshold * mean)
    alerts.push(
      buildAlert({ rule: 'traffic_drop', severity: drop.severity, ...facts(drop.threshold) }),
    );
  return alerts;
}
