/**
 * Placing the injected cases in the stream: the traffic_spike and traffic_drop minutes, click floods
 * in click-flood windows of their own, the light per-user cases on minutes nothing else uses, and
 * the hour of the outlier_activity user. Every case lies inside one aligned window (the straddling
 * near miss on purpose across two).
 */
import {
  botContext,
  browseEvent,
  geoEvents,
  highValueAmounts,
  highValueEvents,
  InjectedEvent,
  ipHoppingEvents,
  Job,
  purchaseVelocityEvents,
} from './fraud-events';
import { MINUTE, NORMAL_SHARE, TAG } from './generator-constants';
import { GeneratorOptionsError, ResolvedConfig } from './generator-options';
import { hash32, Rng } from './prng';
import { alignDown, FraudPattern } from './rules';
import { spread, spreadOver } from './sampling';
import { iso, round6 } from './traffic-manifest';

// Injected global patterns.
const SPIKE_MARGIN = 1.4; // spike minute ≈ 1.4 × spikeFactor × base
const GLOBAL_LEAD_MINUTES = 12; // history before a spike/drop minute
const MEAN_MARGIN = 1.2; // base rate must be this much above globalMinMean

export interface SpikePlan {
  minute: number;
  /** Extra events in the spike minute, from the period's active normal users, round-robin. */
  extra: number;
  /** Fewest active users that keeps every user's share at most `perUser`. */
  minUsers: number;
  /** Most extra events one user gets (keeps it below click_flood with its normal events). */
  perUser: number;
}

export interface Placement {
  jobs: Job[];
  spike?: SpikePlan;
  dropMinute?: number;
  outlier?: { periodStart: number; minutes: number[] };
}

/** Places the configured cases in [from, to); fails (naming `fraud`) when one does not fit. */
export function placeInjectedCases(cfg: ResolvedConfig, from: number, to: number): Placement {
  return new FraudPlanter(cfg, from, to).place();
}

/** Events of the injected cases, including the spike minute's extra events. */
export function injectedSize(placement: Placement): number {
  return (
    placement.jobs.reduce((sum, job) => sum + job.events.length, 0) + (placement.spike?.extra ?? 0)
  );
}

function need(what: string, ok: boolean, detail: string): void {
  if (!ok) throw new GeneratorOptionsError('fraud', `${what} does not fit: ${detail}`);
}

/** One placement pass; the order of the steps fixes which random numbers each case gets. */
class FraudPlanter {
  private readonly th: ResolvedConfig['th'];
  private readonly rng: Rng;
  private readonly fraud: Set<FraudPattern>;
  /** Every whole minute of the stream. */
  private readonly fullMinutes: number[] = [];
  /** Minutes a global pattern or a click flood uses. */
  private readonly reserved = new Set<number>();
  private readonly placement: Placement = { jobs: [] };
  /** The outlier period with the most whole minutes. */
  private readonly mainPeriod: number | undefined;
  /** Whole minutes left to the light cases, and the user windows they fall in. */
  private light: number[] = [];
  private lightWindows: number[] = [];
  private jobNo = 0;

  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.th = cfg.th;
    this.rng = new Rng(hash32(cfg.seed, TAG.place));
    this.fraud = new Set(cfg.fraud);
    for (let minute = Math.ceil(from / MINUTE) * MINUTE; minute + MINUTE <= to; minute += MINUTE)
      this.fullMinutes.push(minute);
    const periodMs = this.th.outlierWindowMs;
    const minutesPer = new Map<number, number>();
    for (const minute of this.fullMinutes) {
      const period = alignDown(minute, periodMs);
      minutesPer.set(period, (minutesPer.get(period) ?? 0) + 1);
    }
    this.mainPeriod = [...minutesPer].reduce<[number, number] | undefined>(
      (best, entry) => (!best || entry[1] > best[1] ? entry : best),
      undefined,
    )?.[0];
  }

  place(): Placement {
    if (this.fraud.has('traffic_spike') || this.fraud.has('traffic_drop')) this.placeGlobal();
    if (this.fraud.has('click_flood'))
      this.floodCase('fraud-click_flood-1', 'fraud', this.th.clickFlood + 1);
    if (this.cfg.nearMiss) {
      this.floodCase('nearmiss-click_flood-1', 'nearmiss', this.th.clickFlood);
      this.straddlingFlood();
    }
    // Light cases (a few events each) go on minutes no heavy case or global pattern uses.
    this.light = this.fullMinutes.filter((m) => !this.reserved.has(m));
    this.lightWindows = [...new Set(this.light.map((m) => alignDown(m, this.th.userWindowMs)))];
    this.placeLightCases();
    if (this.fraud.has('outlier_activity')) this.placeOutlier();
    return this.placement;
  }

  /**
   * Per-user cases go to the period with the most whole minutes when they fit there: normal users
   * of a longer span can have more events, which keeps the outlier fence above the cases' counts.
   */
  private preferMain(candidates: number[]): number[] {
    const periodMs = this.th.outlierWindowMs;
    const inMain = candidates.filter((c) => alignDown(c, periodMs) === this.mainPeriod);
    return inMain.length > 0 ? inMain : candidates;
  }

  private nextJobRng(): Rng {
    return new Rng(hash32(this.cfg.seed, TAG.job, this.jobNo++));
  }

  /** Global patterns: full minutes with a history of at least GLOBAL_LEAD_MINUTES. */
  private placeGlobal(): void {
    const th = this.th;
    const wantsSpike = this.fraud.has('traffic_spike');
    const wantsDrop = this.fraud.has('traffic_drop');
    const base = this.cfg.rate * 60;
    const names = [wantsSpike && 'traffic_spike', wantsDrop && 'traffic_drop']
      .filter(Boolean)
      .join(' and ');
    need(
      names,
      base >= th.globalMinMean * MEAN_MARGIN,
      `${wantsSpike && wantsDrop ? 'they need' : 'it needs'} a background of at least ${Math.ceil(th.globalMinMean * MEAN_MARGIN)} events/min (rate >= ${round6((th.globalMinMean * MEAN_MARGIN) / 60)}/s), got ${round6(base)}/min`,
    );
    const first = alignDown(this.from, MINUTE);
    const eligible = this.fullMinutes.filter(
      (m) => (m - first) / MINUTE >= Math.max(GLOBAL_LEAD_MINUTES, th.globalMinHistoryMinutes + 2),
    );
    if (wantsSpike) this.placeSpike(eligible, base);
    if (wantsDrop) this.placeDrop(eligible);
  }

  private placeSpike(eligible: number[], base: number): void {
    const th = this.th;
    need(
      'traffic_spike',
      eligible.length > 0,
      `the stream needs more than ${GLOBAL_LEAD_MINUTES + 1} minutes`,
    );
    const minute = this.rng.pick(eligible);
    this.reserved.add(minute);
    // Normal users have at most floor(0.6·threshold) events per click-flood window; their share
    // of the spike must keep them at or below the threshold.
    const normalMost = Math.max(1, Math.floor(NORMAL_SHARE * th.clickFlood)) + 1;
    const perUser = Math.min(Math.floor(0.3 * th.clickFlood), th.clickFlood - normalMost);
    need(
      'traffic_spike',
      perUser >= 1,
      `it needs a click_flood threshold of at least 5 (got ${th.clickFlood})`,
    );
    const extra = Math.ceil((SPIKE_MARGIN * th.spikeFactor - 1) * base);
    this.placement.spike = { minute, extra, perUser, minUsers: Math.ceil(extra / perUser) };
  }

  private placeDrop(eligible: number[]): void {
    const spike = this.placement.spike?.minute;
    const candidates = eligible.filter(
      (m) => spike === undefined || Math.abs(m - spike) >= 3 * MINUTE,
    );
    need(
      'traffic_drop',
      candidates.length > 0,
      `the stream needs more than ${GLOBAL_LEAD_MINUTES + 4} minutes`,
    );
    this.placement.dropMinute = this.rng.pick(candidates);
    this.reserved.add(this.placement.dropMinute);
  }

  // Heavy per-window cases (click floods) take click-flood windows of their own.

  private freeWindow(windowStart: number, windows: number): boolean {
    const windowMs = this.th.clickFloodWindowMs;
    if (windowStart < this.from || windowStart + windows * windowMs > this.to) return false;
    const end = windowStart + windows * windowMs;
    for (let minute = alignDown(windowStart, MINUTE); minute < end; minute += MINUTE)
      if (this.reserved.has(minute)) return false;
    return true;
  }

  private reserveWindow(windowStart: number, windows: number): void {
    const windowMs = this.th.clickFloodWindowMs;
    const end = windowStart + windows * windowMs;
    for (let minute = alignDown(windowStart, MINUTE); minute < end; minute += MINUTE)
      this.reserved.add(minute);
  }

  /** Starts of `windows` consecutive free click-flood windows. */
  private freeWindows(windows: number): number[] {
    const windowMs = this.th.clickFloodWindowMs;
    const out: number[] = [];
    for (
      let start = Math.ceil(this.from / windowMs) * windowMs;
      start + windows * windowMs <= this.to;
      start += windowMs
    )
      if (this.freeWindow(start, windows)) out.push(start);
    return out;
  }

  private floodCase(user: string, kind: Job['kind'], events: number): void {
    const windowMs = this.th.clickFloodWindowMs;
    const free = this.freeWindows(1);
    need(
      `click_flood (${user})`,
      free.length > 0,
      'the stream needs a free, whole click-flood window',
    );
    const start = this.rng.pick(this.preferMain(free));
    this.reserveWindow(start, 1);
    const rng = this.nextJobRng();
    const times = spread(rng, start, start + windowMs, events);
    const ctx = botContext(rng, this.cfg.seed, user, 'US');
    this.placement.jobs.push({
      user,
      pattern: 'click_flood',
      kind,
      windowStart: start,
      windowEnd: start + windowMs,
      events: times.map((t) =>
        browseEvent(
          rng,
          ctx,
          t,
          rng.next() < 0.6 ? 'click' : rng.next() < 0.75 ? 'view' : 'page_view',
        ),
      ),
      ...(kind === 'nearmiss' ? { note: `exactly ${events} events in one window` } : {}),
    });
  }

  /** More than the threshold within one window's length, but split over two aligned windows. */
  private straddlingFlood(): void {
    const th = this.th;
    const windowMs = th.clickFloodWindowMs;
    const half = Math.min(th.clickFlood, Math.ceil(NORMAL_SHARE * th.clickFlood));
    const free = this.freeWindows(2);
    need(
      'the straddling click_flood near miss',
      free.length > 0,
      'the stream needs two free, consecutive click-flood windows',
    );
    const start = this.rng.pick(this.preferMain(free));
    this.reserveWindow(start, 2);
    const rng = this.nextJobRng();
    const user = 'nearmiss-click_flood-2';
    const ctx = botContext(rng, this.cfg.seed, user, 'US');
    const times = [
      ...spread(rng, start + windowMs / 2, start + windowMs, half),
      ...spread(rng, start + windowMs, start + (3 * windowMs) / 2, half),
    ];
    this.placement.jobs.push({
      user,
      pattern: 'click_flood',
      kind: 'nearmiss',
      windowStart: start,
      windowEnd: start + 2 * windowMs,
      events: times.map((t) => browseEvent(rng, ctx, t, 'click')),
      note: `${half} + ${half} clicks within ${windowMs / 1000} s, straddling the boundary at ${iso(start + windowMs)}: ${half} per aligned window`,
    });
  }

  /** Light cases (a few events each), each in a user window on up to 3 of its free minutes. */
  private placeLightCases(): void {
    const th = this.th;
    const seed = this.cfg.seed;
    for (const kind of this.kinds('ip_hopping')) {
      const ips = th.ipHopping + (kind === 'fraud' ? 1 : 0);
      this.lightCase(
        'ip_hopping',
        kind,
        (rng, times, user) => ipHoppingEvents(rng, seed, user, times(ips + 2), ips),
        kind === 'nearmiss' ? `exactly ${ips} distinct IPs` : undefined,
      );
    }
    for (const kind of this.kinds('purchase_velocity')) {
      const purchases = th.purchaseVelocity + (kind === 'fraud' ? 1 : 0);
      this.lightCase(
        'purchase_velocity',
        kind,
        (rng, times, user) =>
          purchaseVelocityEvents(rng, seed, th.highValue, user, times(2 * purchases), purchases),
        kind === 'nearmiss' ? `exactly ${purchases} purchases` : undefined,
      );
    }
    for (const kind of this.kinds('high_value')) {
      const amounts = highValueAmounts(
        th.highValue,
        Math.max(1, Math.min(3, th.purchaseVelocity)),
        kind === 'fraud',
      );
      this.lightCase(
        'high_value',
        kind,
        (rng, times, user) => highValueEvents(rng, seed, user, times(2 * amounts.length), amounts),
        kind === 'nearmiss' ? `purchases summing to exactly ${th.highValue}` : undefined,
      );
    }
    for (const kind of this.kinds('geo_velocity')) {
      const countries = th.geoVelocity + (kind === 'fraud' ? 1 : 0);
      this.lightCase(
        'geo_velocity',
        kind,
        (rng, times, user) => geoEvents(rng, seed, user, times(2 * countries), countries),
        kind === 'nearmiss' ? `exactly ${countries} countries` : undefined,
      );
    }
  }

  /** The cases of a light pattern: its fraud case if asked for, its near miss if asked for. */
  private kinds(pattern: FraudPattern): Job['kind'][] {
    return [
      ...(this.fraud.has(pattern) ? (['fraud'] as const) : []),
      ...(this.cfg.nearMiss ? (['nearmiss'] as const) : []),
    ];
  }

  private lightCase(
    pattern: FraudPattern,
    kind: Job['kind'],
    build: (rng: Rng, times: (count: number) => number[], user: string) => InjectedEvent[],
    note?: string,
  ): void {
    const windowMs = this.th.userWindowMs;
    const user = `${kind === 'fraud' ? 'fraud' : 'nearmiss'}-${pattern}-1`;
    need(
      `${pattern} (${user})`,
      this.lightWindows.length > 0,
      'the stream needs a free whole minute',
    );
    const start = this.rng.pick(this.preferMain(this.lightWindows));
    const minutes = this.light.filter((m) => m >= start && m < start + windowMs);
    const chosen = this.rng
      .shuffle([...minutes])
      .slice(0, Math.min(3, minutes.length))
      .sort((a, b) => a - b);
    const rng = this.nextJobRng();
    const times = (count: number) => spreadOver(rng, chosen, count);
    this.placement.jobs.push({
      user,
      pattern,
      kind,
      windowStart: start,
      windowEnd: start + windowMs,
      events: build(rng, times, user),
      ...(note ? { note } : {}),
    });
  }

  /** outlier_activity takes the period with the most free minutes; its events are sized later. */
  private placeOutlier(): void {
    const byPeriod = new Map<number, number[]>();
    for (const minute of this.light) {
      const period = alignDown(minute, this.th.outlierWindowMs);
      byPeriod.set(period, [...(byPeriod.get(period) ?? []), minute]);
    }
    let best: [number, number[]] | undefined;
    for (const entry of byPeriod) if (!best || entry[1].length > best[1].length) best = entry;
    need('outlier_activity', best !== undefined, 'the stream needs free whole minutes');
    this.placement.outlier = { periodStart: best![0], minutes: best![1] };
  }
}
