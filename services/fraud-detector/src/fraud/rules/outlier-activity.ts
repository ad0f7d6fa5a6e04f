import { FraudAlert } from '@clickstream/contracts';
import { buildAlert } from './build-alert';
import { FraudConfig, OutlierSettings } from './rule-config';

/**
 * outlier_activity (SPEC §7): once per 1 h window, over the per-user event counts of every user
 * active in it (all partitions), flag users with events >= minEvents and events > Q3 + k·IQR
 * (k = the rule's threshold, 1.5). Quartiles are linear-interpolated like numpy's default and
 * Postgres' percentile_cont. Needs at least minUsers active users.
 */

export interface UserCount {
  user_id: string;
  events: number;
}

export interface OutlierStats {
  /** Active users in the window (each with >= 1 event). */
  users: number;
  /** False with fewer than minUsers users: the quartiles are then too noisy to flag anyone. */
  enough: boolean;
  q1: number;
  q3: number;
  iqr: number;
  /** Q3 + k·IQR: a user must be strictly above it. */
  fence: number;
  /** Flagged users, by user_id. */
  flagged: UserCount[];
}

export interface OutlierParams extends OutlierSettings {
  /** The IQR multiplier k. */
  iqrFactor: number;
}

/**
 * The p-quantile (0..1) of ascending `sorted` values with linear interpolation between the closest
 * ranks: position p·(n−1), as numpy.percentile (method 'linear') and percentile_cont compute it.
 */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

export function outliers(counts: readonly UserCount[], cfg: OutlierParams): OutlierStats {
  const active = counts.filter((c) => c.events > 0);
  if (active.length === 0)
    return { users: 0, enough: false, q1: 0, q3: 0, iqr: 0, fence: 0, flagged: [] };
  const sorted = active.map((c) => c.events).sort((a, b) => a - b);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const iqr = q3 - q1;
  const fence = q3 + cfg.iqrFactor * iqr;
  const enough = active.length >= cfg.minUsers;
  const flagged = enough
    ? active
        .filter((c) => c.events >= cfg.minEvents && c.events > fence)
        .map((c) => ({ user_id: c.user_id, events: c.events }))
        .sort((a, b) => (a.user_id < b.user_id ? -1 : a.user_id > b.user_id ? 1 : 0))
    : [];
  return { users: active.length, enough, q1, q3, iqr, fence, flagged };
}

/**
 * The outlier_activity alerts of one closed window (empty when the rule is disabled). `counts` are
 * the window's per-user totals over every partition (one entry per user); times are epoch ms.
 */
export function evaluateOutlierWindow(
  counts: readonly UserCount[],
  windowStart: number,
  windowEnd: number,
  cfg: Pick<FraudConfig, 'rules' | 'outlier'>,
  now: number,
): FraudAlert[] {
  const rule = cfg.rules.outlier_activity;
  if (!rule.enabled) return [];
  const stats = outliers(counts, { ...cfg.outlier, iqrFactor: rule.threshold });
  const evidence = {
    users: stats.users,
    q1: stats.q1,
    q3: stats.q3,
    iqr: stats.iqr,
    fence: stats.fence,
    iqr_factor: rule.threshold,
    min_events: cfg.outlier.minEvents,
  };
  return stats.flagged.map((u) =>
    buildAlert({
      rule: 'outlier_activity',
      severity: rule.severity,
      userId: u.user_id,
      windowStart,
      windowEnd,
      value: u.events,
      threshold: stats.fence,
      now,
      evidence: { ...evidence, events: u.events },
    }),
  );
}
