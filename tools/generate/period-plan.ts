/**
 * Planning normal traffic period by period (a period = one outlier_activity window): which normal
 * users are active, how many events each has and where its visits start, the minute weights that
 * warp time (bursts, the drop minute), and the outlier_activity fence over all the period's users.
 */
import { MINUTE, TAG } from './generator-constants';
import { GeneratorOptionsError, ResolvedConfig } from './generator-options';
import { InjectedEvent } from './fraud-events';
import { Placement, SpikePlan } from './fraud-planting';
import { hash32, Rng } from './prng';
import { alignDown, FraudThresholds, isOutlier, OutlierFence, outlierFence } from './rules';
import { allocate, sampleUsers, stratifiedCounts } from './sampling';
import { round6 } from './traffic-manifest';
import { normalUser } from './user-behaviour';
import { Segment } from './user-layout';

const BASE_MEAN_EVENTS = 8; // mean events of an active user per period when users are plentiful
const BURST_P = 0.7;

/** A period (aligned start) and the part of it inside the stream. */
export interface PeriodSpan {
  start: number;
  spanStart: number;
  spanEnd: number;
}

export interface PeriodPlan {
  span: PeriodSpan;
  segments: Segment[];
  /** Virtual length of the span in seconds (Σ weight × seconds). */
  virtualLength: number;
  users: Int32Array;
  /** Events of each active user laid out over the period. */
  counts: Int32Array;
  /** Extra events of each active user in the spike minute (traffic_spike), else 0. */
  extras: Int32Array;
  offsets: Float64Array;
  fence: OutlierFence | null;
  /** Users of the period (normally only injected ones) that outlier_activity fires for. */
  outliers: Array<{ user: string; value: number }>;
}

export function periodsOf(start: number, end: number, periodMs: number): PeriodSpan[] {
  const out: PeriodSpan[] = [];
  for (let period = alignDown(start, periodMs); period < end; period += periodMs) {
    const spanEnd = Math.min(period + periodMs, end);
    out.push({ start: period, spanStart: Math.max(period, start), spanEnd });
  }
  return out;
}

export class PeriodPlanner {
  readonly periods: PeriodSpan[];
  /** The injected outlier_activity user, if any: the one user meant to end above the fence. */
  readonly outlierTarget?: string;
  /** Normal events of each period. */
  private alloc: number[];
  private readonly injectedByPeriod = new Map<number, InjectedEvent[]>();
  private readonly injectedCounts = new Map<number, Map<string, number>>();

  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly placement: Placement,
    start: number,
    end: number,
    normalEvents: number,
  ) {
    this.periods = periodsOf(start, end, cfg.th.outlierWindowMs);
    this.alloc = this.allocate(normalEvents);
    if (cfg.fraud.includes('outlier_activity')) this.outlierTarget = 'fraud-outlier_activity-1';
  }

  /** Spreads the normal events over the periods again (in proportion to their span). */
  reallocate(normalEvents: number): void {
    this.alloc = this.allocate(normalEvents);
  }

  normalEventsIn(index: number): number {
    return this.alloc[index];
  }

  /** The period's injected events, in time order (then by user). */
  injectedIn(index: number): InjectedEvent[] | undefined {
    return this.injectedByPeriod.get(index);
  }

  periodIndexOf(time: number): number {
    const start = alignDown(time, this.cfg.th.outlierWindowMs);
    return Math.round((start - this.periods[0].start) / this.cfg.th.outlierWindowMs);
  }

  addInjected(events: InjectedEvent[]): void {
    for (const event of events) {
      const index = this.periodIndexOf(event.t);
      let list = this.injectedByPeriod.get(index);
      if (!list) this.injectedByPeriod.set(index, (list = []));
      list.push(event);
      let counts = this.injectedCounts.get(index);
      if (!counts) this.injectedCounts.set(index, (counts = new Map()));
      counts.set(event.user, (counts.get(event.user) ?? 0) + 1);
    }
    for (const list of this.injectedByPeriod.values())
      list.sort((a, b) => a.t - b.t || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  }

  /** Fails early, naming the options, when normal users cannot carry the rate below the thresholds. */
  checkCapacity(): void {
    const cfg = this.cfg;
    this.periods.forEach((span, i) => {
      const length = this.segmentsOf(span).virtualLength;
      const cap = Math.max(1, Math.floor(length / cfg.gapMinV));
      const most = Math.floor((cfg.users * (cap + 1)) / 2);
      if (this.alloc[i] > most && this.alloc[i] > cfg.users) {
        const perUser = (cap + 1) / 2 / (length || 1);
        const need = Math.ceil(this.alloc[i] / ((cap + 1) / 2));
        throw new GeneratorOptionsError(
          'ratePerSecond',
          `${cfg.rate} events/s is too high for ${cfg.users} users: to stay below the click_flood ` +
            `threshold a normal user averages at most ~${round6(perUser)} events/s; ` +
            `use at least ${need} users or a lower rate`,
        );
      }
    });
  }

  /**
   * Plans one period: which normal users are active, with how many events each, and where.
   * `extra` adds a (hypothetical) injected user's count, for sizing the outlier case.
   */
  planPeriod(index: number, extra?: { user: string; count: number }): PeriodPlan {
    const cfg = this.cfg;
    const th = cfg.th;
    const span = this.periods[index];
    const { segments, virtualLength } = this.segmentsOf(span);
    const periodEvents = this.alloc[index];
    const injected = new Map(this.injectedCounts.get(index) ?? []);
    if (extra) injected.set(extra.user, extra.count);
    const injectedValues = [...injected.values()];
    const cap = Math.max(1, Math.floor(virtualLength / cfg.gapMinV));
    const active = this.activeUsers(span, periodEvents, cap, injected);

    const rng = new Rng(hash32(cfg.seed, TAG.period, span.start));
    const counts = stratifiedCounts(periodEvents, active, cap);
    rng.shuffle(counts);
    const users = sampleUsers(rng, cfg.users, active);
    const offsets = new Float64Array(active);
    for (let i = 0; i < active; i++) offsets[i] = ((i + rng.next()) / active) * virtualLength;
    const extras = this.spikeExtras(span, active);

    const fence = repairOutliers(counts, extras, injectedValues, th);
    const outliers: PeriodPlan['outliers'] = [];
    for (let i = 0; i < active; i++) {
      const value = counts[i] + extras[i];
      if (isOutlier(value, fence, th.outlierMinEvents))
        outliers.push({ user: normalUser(users[i]), value });
    }
    for (const [user, count] of injected) {
      if (isOutlier(count, fence, th.outlierMinEvents)) outliers.push({ user, value: count });
    }
    return { span, segments, virtualLength, users, counts, extras, offsets, fence, outliers };
  }

  /** The spike, when its minute is in this period. */
  spikeIn(span: PeriodSpan): SpikePlan | undefined {
    const spike = this.placement.spike;
    return spike &&
      spike.minute >= span.start &&
      spike.minute < span.start + this.cfg.th.outlierWindowMs
      ? spike
      : undefined;
  }

  /** Events the outlier user needs: well above the fence of its hour (which it raises itself). */
  outlierCount(index: number, target: string): number {
    const th = this.cfg.th;
    let count = th.outlierMinEvents;
    for (let i = 0; i < 30; i++) {
      const plan = this.planPeriod(index, { user: target, count });
      if (!plan.fence) {
        throw new GeneratorOptionsError(
          'fraud',
          `outlier_activity needs at least ${th.outlierMinUsers} active users in its hour (got ${plan.users.length} normal ones): raise users or rate`,
        );
      }
      if (count > plan.fence.fence * 1.25) return count;
      count = Math.max(count + 1, Math.ceil(plan.fence.fence * 1.5) + 1);
    }
    return count;
  }

  private allocate(normalEvents: number): number[] {
    return allocate(
      normalEvents,
      this.periods.map((span) => span.spanEnd - span.spanStart),
    );
  }

  /** How many normal users are active in the period. */
  private activeUsers(
    span: PeriodSpan,
    periodEvents: number,
    cap: number,
    injected: ReadonlyMap<string, number>,
  ): number {
    const cfg = this.cfg;
    const th = cfg.th;
    // Injected users that must not be outliers: keep the normal distribution wide enough that the
    // fence clears them (fence of a uniform 1..K ≈ 1 + (K−1)(0.75 + 0.5·factor)).
    let maxGuarded = 0;
    for (const [user, count] of injected) {
      if (user !== this.outlierTarget && count >= th.outlierMinEvents)
        maxGuarded = Math.max(maxGuarded, count);
    }
    const fenceSpread = 0.75 + 0.5 * th.outlierIqrFactor;
    const kNeeded = maxGuarded > 0 ? (maxGuarded - 1) / fenceSpread + 4 : 0;
    const muMin = Math.max(BASE_MEAN_EVENTS, (kNeeded + 1) / 2);
    if (!(periodEvents > 0)) return 0;

    const mu = Math.max(muMin, periodEvents / cfg.users);
    let active = Math.min(cfg.users, Math.max(1, Math.round(periodEvents / mu)));
    // The outlier's hour needs enough other active users for the rule to apply at all.
    if (injected.has(this.outlierTarget ?? '\0')) {
      const needed = th.outlierMinUsers + 2 - [...injected.values()].filter((c) => c > 0).length;
      if (needed > active) active = Math.min(cfg.users, needed);
    }
    // No user may need more events than fit between the click_flood gaps.
    if (2 * (periodEvents / active) - 1 > cap)
      active = Math.min(cfg.users, Math.ceil((2 * periodEvents) / (cap + 1)));
    const spike = this.spikeIn(span);
    if (spike && spike.minUsers > active) active = Math.min(cfg.users, spike.minUsers);
    return Math.min(active, periodEvents);
  }

  /**
   * A spike is a flash crowd: the period's active users share its extra events round-robin, so
   * every count moves up by about the same amount and the outlier fence with it.
   */
  private spikeExtras(span: PeriodSpan, active: number): Int32Array {
    const extras = new Int32Array(active);
    const spike = this.spikeIn(span);
    if (spike && active > 0)
      for (let i = 0; i < active; i++)
        extras[i] = Math.floor(spike.extra / active) + (i < spike.extra % active ? 1 : 0);
    return extras;
  }

  /** Minute weights of a period: bursts, the drop minute. Indexed by minute of the period. */
  private weightsOf(periodStart: number): Float64Array {
    const cfg = this.cfg;
    const minutes = cfg.th.outlierWindowMs / MINUTE;
    const weights = new Float64Array(minutes).fill(1);
    if (cfg.bursts && cfg.burstWeight > 1) {
      const rng = new Rng(hash32(cfg.seed, TAG.burst, periodStart));
      if (rng.next() < BURST_P) {
        const length = 2 + rng.int(3);
        const first = rng.int(Math.max(1, minutes - length + 1));
        for (let i = first; i < Math.min(minutes, first + length); i++)
          weights[i] = cfg.burstWeight;
      }
    }
    const drop = this.placement.dropMinute;
    if (drop !== undefined && drop >= periodStart && drop < periodStart + cfg.th.outlierWindowMs) {
      weights[(drop - periodStart) / MINUTE] = cfg.dropWeight;
    }
    return weights;
  }

  private segmentsOf(span: PeriodSpan): { segments: Segment[]; virtualLength: number } {
    const weights = this.weightsOf(span.start);
    const segments: Segment[] = [];
    let virtualLength = 0;
    for (let i = 0; i < weights.length; i++) {
      const minute = span.start + i * MINUTE;
      const realStart = Math.max(minute, span.spanStart);
      const realEnd = Math.min(minute + MINUTE, span.spanEnd);
      if (realEnd <= realStart) continue;
      segments.push({ realStart, realEnd, vStart: virtualLength, weight: weights[i] });
      virtualLength += ((realEnd - realStart) / 1000) * weights[i];
    }
    return { segments, virtualLength };
  }
}

/**
 * Safety net for outlier_activity: lowers any normal user whose count (laid-out events + spike
 * extras) would be an outlier among all the period's active users, and gives the removed events to
 * users below Q1 (up to the value at Q1's lower order statistic, which leaves Q1 and Q3 unchanged).
 * Returns the final fence. With the stratified counts it practically never has anything to do.
 */
function repairOutliers(
  counts: Int32Array,
  extras: Int32Array,
  injected: number[],
  th: FraudThresholds,
): OutlierFence | null {
  for (let round = 0; round < 100; round++) {
    const all: number[] = injected.slice();
    for (let i = 0; i < counts.length; i++) all.push(counts[i] + extras[i]);
    const fence = outlierFence(all, th);
    if (!fence) return null;
    let removed = 0;
    for (let i = 0; i < counts.length; i++) {
      if (!isOutlier(counts[i] + extras[i], fence, th.outlierMinEvents)) continue;
      const target =
        round < 50
          ? Math.max(th.outlierMinEvents - 1, Math.floor(fence.fence))
          : th.outlierMinEvents - 1;
      const lowered = Math.max(1, target - extras[i]);
      removed += counts[i] - lowered;
      counts[i] = lowered;
    }
    if (removed === 0) return fence;
    const sorted = Float64Array.from(all.filter((c) => c >= 1)).sort();
    const floorQ1 = sorted[Math.floor(0.25 * (sorted.length - 1))];
    for (let i = 0; i < counts.length && removed > 0; i++) {
      const total = counts[i] + extras[i];
      if (total >= 1 && total < floorQ1) {
        const add = Math.min(removed, floorQ1 - total);
        counts[i] += add;
        removed -= add;
      }
    }
  }
  return outlierFence([...injected, ...Array.from(counts, (c, i) => c + extras[i])], th);
}
