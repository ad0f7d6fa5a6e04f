/**
 * Load generator (SPEC §3): realistic e-commerce clickstream traffic as contract-v1 events, with
 * optional injected fraud patterns (SPEC §7) and a manifest of the alerts that must fire.
 *
 * Pure and deterministic: no clock, no Math.random; the same options give byte-identical events,
 * in event-time order (optionally with a bounded shuffle), streamed from a generator function, so a
 * stream of any size needs memory for the users, not for the events.
 *
 * ## How normal traffic is made
 * Time is cut into "periods" = the outlier_activity windows (1 h, aligned to the UTC epoch). For each
 * period the generator plans which normal users are active and exactly how many events each has
 * (its count): the multiset of counts is a stratified uniform sample of 1..K whose sum is the period's
 * share of `ratePerSecond × duration` (so rate and totals are exact). Each active user lays its
 * events out as one or two visits (gaps between events of a visit: seconds to minutes, log-normal;
 * between two visits: 20–29.5 min in 35 % of cases, 30.5–50 min otherwise, so sessionization sees
 * gaps on both sides of 30 min), placed circularly at a stratified offset in the period; that keeps
 * the per-minute total smooth. A per-minute weight then warps time: a burst of 2–4 minutes at ×1.6
 * in most periods, and the injected traffic_drop minute at ×0.05. Users' client `session_id`
 * changes after 25 min without events (the sessionizer's gap is 30 min, so some server sessions
 * hold two client sessions). Event types follow a funnel: every
 * event after a `view` is a `cart` with p = 0.10, after a `cart` a `checkout` with p = 0.40 (or a
 * `remove_from_cart` with p = 0.15), after a `checkout` a `purchase` with p = 0.50, i.e. about 10 %
 * carts, 4 % checkouts and 2 % purchases per view; the rest is browsing (view, click, page_view,
 * search). Products come from a fixed catalogue with log-normal prices and Zipf popularity.
 *
 * ## Why the manifest is exact
 * Every alert in `manifest().expected` is one the SPEC §7 rules produce on this stream, and no
 * other alert is produced, assuming the stream is the only traffic and is read within the allowed
 * lateness:
 * - Normal users never cross a per-user threshold, by construction:
 *   click_flood: consecutive events of a user are at least `window / floor(0.6·threshold)` apart in
 *   real time (after the ×1.6 burst warp), so a window holds at most 60 % of the threshold (30 of
 *   50 per minute); in the traffic_spike minute each active user adds at most 30 % more (≤ 15), so
 *   ≤ 45 < 50; ip_hopping / geo_velocity: a user has one address, a quarter of users
 *   also a second (mobile) one, an eighth of those in a second country: ≤ 2 IPs and ≤ 2 countries,
 *   ever; purchase_velocity / high_value: a purchase that would take a user over ceil(threshold/2)
 *   purchases (3 of 5) or over half the amount threshold (5,000) within the window does not happen;
 *   outlier_activity: each period's plan computes the rule exactly over all the period's active users
 *   (normal and injected, whose counts are all known when the period is planned) and lowers any
 *   normal user above the fence (only a safety net: a uniform 1..K has no outliers).
 * - Injected users have dedicated ids (`fraud-<rule>-<n>`, `nearmiss-<rule>-<n>`) and fixed events;
 *   all per-user rules are evaluated exactly over them (`userWindowValues`), so their expected alerts
 *   are computed, not assumed (an override that makes e.g. the geo case also hop IPs shows up as an
 *   `incidental` entry). Each case lies inside one aligned window (the straddling near miss on
 *   purpose across two), and no event after the one that crosses the threshold changes the value,
 *   so the value at crossing is the window's final value.
 * - traffic_spike / traffic_drop are computed over the actual per-minute counts while the stream is
 *   emitted (`GlobalMinuteRules`), including the empty minutes after the stream (SPEC §6 publishes
 *   up to 60 of them; entries whose window ends after the stream are flagged `trailing`: they need the
 *   watermark to pass the end, e.g. by idle advance). Injected cases are sized with a wide margin (a
 *   spike minute at ~3.5× the base rate, a drop minute at ~5 %), and normal traffic stays within
 *   about ±15 % of the base rate plus ×1.6 bursts, so in practice only the injected ones appear; any
 *   other would be listed as `incidental`, never silently missing. The spike is a flash crowd: the
 *   hour's active normal users share its extra events round-robin, which moves every user's hour
 *   count up by about the same amount (so the outlier fence moves with them).
 * - `incidental` entries therefore only come from overridden thresholds that make one case cross
 *   two rules (e.g. a 3-country geo case with an ip_hopping threshold of 2 needs 3 IPs), or from a
 *   stream too short for normal users to keep the outlier fence above a near miss; the spec checks
 *   manifests over a spread of configurations against an independent implementation of §7.
 * Hence `manifest()` is complete after `events()` has been iterated to the end (or it makes a dry
 * pass itself).
 *
 * ## Where the parts live
 * This module composes them and is the public entry (importers use it): generator-options.ts
 * (options, validation), fraud-planting.ts + fraud-events.ts (injected cases), period-plan.ts
 * (normal users per period), user-layout.ts + user-behaviour.ts (one user's times and events),
 * event-cursors.ts + event-order.ts (emission in time order, bounded shuffle), event-output.ts +
 * urls.ts (event fields), sampling.ts, traffic-manifest.ts (expected alerts), rules.ts (SPEC §7).
 */
import { ClickEventInput, MAX_EVENT_TIME_MS } from '@clickstream/contracts';
import { orderedEvents, StreamPass } from './event-cursors';
import { shuffleBounded } from './event-order';
import { outlierJob } from './fraud-events';
import { injectedSize, Placement, placeInjectedCases } from './fraud-planting';
import { TAG } from './generator-constants';
import {
  fail,
  GeneratorOptionsError,
  ResolvedConfig,
  resolveOptions,
  TrafficOptions,
} from './generator-options';
import { PeriodPlanner } from './period-plan';
import { hash32 } from './prng';
import { GlobalHit } from './rules';
import {
  byWindow,
  evaluateInjected,
  ExpectedAlert,
  globalAlerts,
  iso,
  NearMiss,
  outlierAlerts,
  TrafficManifest,
} from './traffic-manifest';

// The public API; importers use this module, the parts live in the modules above.
export { DEFAULT_THRESHOLDS, FRAUD_PATTERNS, isFraudPattern } from './rules';
export type { FraudPattern, FraudThresholds } from './rules';
export { DEFAULT_FUNNEL, GeneratorOptionsError } from './generator-options';
export type { FunnelOptions, TrafficOptions } from './generator-options';
export type { ExpectedAlert, NearMiss, TrafficManifest } from './traffic-manifest';
export { CLIENT_SESSION_GAP_MS, normalUser } from './user-behaviour';

/** Creates a generator; options are validated now (GeneratorOptionsError names the option). */
export function generateTraffic(options: TrafficOptions): TrafficGenerator {
  return new TrafficGenerator(options);
}

export class TrafficGenerator {
  readonly seed: number;
  readonly users: number;
  /** Event-time span of the stream: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly normalEvents: number;
  readonly injectedEvents: number;
  /** Exact number of events `events()` yields. */
  readonly totalEvents: number;

  private readonly cfg: ResolvedConfig;
  private readonly placement: Placement;
  private readonly planner: PeriodPlanner;
  private readonly userAlerts: ExpectedAlert[];
  private readonly outlierAlertList: ExpectedAlert[] = [];
  private readonly nearMisses: NearMiss[];
  private readonly warnings: string[] = [];
  private completed?: { hits: GlobalHit[]; events: number };

  constructor(options: TrafficOptions) {
    const cfg = (this.cfg = resolveOptions(options));
    this.seed = cfg.seed;
    this.users = cfg.users;
    this.start = cfg.startTime;
    const span = streamSpan(cfg);
    this.end = span.end;
    this.placement = placeInjectedCases(cfg, this.start, this.end);
    const planner = new PeriodPlanner(cfg, this.placement, this.start, this.end, span.normal);
    this.planner = planner;
    planner.checkCapacity();
    for (const job of this.placement.jobs) planner.addInjected(job.events);
    this.checkSpikeUsers();
    const normal = planner.outlierTarget
      ? this.injectOutlier(planner.outlierTarget, span.normal)
      : span.normal;
    this.normalEvents = this.planPeriods(normal);
    this.injectedEvents = injectedSize(this.placement);
    this.totalEvents = this.normalEvents + this.injectedEvents;

    const injected = evaluateInjected(this.placement.jobs, cfg.th);
    this.userAlerts = injected.alerts;
    this.nearMisses = injected.nearMisses;
    this.warnings.push(...injected.warnings);
  }

  /** The stream, in event-time order (bounded-shuffled when disorderMs > 0). Restartable. */
  *events(): Generator<ClickEventInput, void, undefined> {
    const pass = new StreamPass(this.cfg);
    const ordered = orderedEvents(this.planner, pass);
    if (this.cfg.disorderMs > 0)
      yield* shuffleBounded(ordered, this.cfg.disorderMs, hash32(this.seed, TAG.disorder));
    else for (const item of ordered) yield item.event;
    pass.oracle.finish();
    this.completed = { hits: pass.oracle.hits, events: pass.emitted };
  }

  /**
   * The alerts that must fire (and the near misses that must not). Complete once events() has been
   * iterated to the end; called before that, it generates the stream once itself (and drops it).
   */
  manifest(): TrafficManifest {
    if (!this.completed) for (const _ of this.events());
    const done = this.completed!;
    if (done.events !== this.totalEvents)
      throw new Error(`generated ${done.events} events, planned ${this.totalEvents}`);
    const cfg = this.cfg;
    const planned = new Map<string, number>();
    if (this.placement.spike) planned.set('traffic_spike', this.placement.spike.minute);
    if (this.placement.dropMinute !== undefined)
      planned.set('traffic_drop', this.placement.dropMinute);
    const global = globalAlerts(done.hits, planned, this.end);
    const expected = [...this.userAlerts, ...this.outlierAlertList, ...global.alerts];
    expected.sort(byWindow);
    return {
      generator: 'clickstream-generate',
      manifest_version: 1,
      complete: true,
      seed: cfg.seed,
      users: cfg.users,
      rate_per_second: cfg.rate,
      start: iso(this.start),
      end: iso(this.end),
      events: this.totalEvents,
      normal_events: this.normalEvents,
      injected_events: this.injectedEvents,
      fraud: [...cfg.fraud],
      near_miss: cfg.nearMiss,
      disorder_ms: cfg.disorderMs,
      thresholds: { ...cfg.th },
      expected,
      near_misses: [...this.nearMisses],
      warnings: [...this.warnings, ...global.warnings],
    };
  }

  /** The spike's extra events need enough active users in its hour to stay below click_flood. */
  private checkSpikeUsers(): void {
    if (!this.placement.spike) return;
    const { minute, minUsers } = this.placement.spike;
    const periodEvents = this.planner.normalEventsIn(this.planner.periodIndexOf(minute));
    const users = this.cfg.users;
    if (Math.min(users, periodEvents) < minUsers) {
      throw new GeneratorOptionsError(
        'users',
        `traffic_spike needs at least ${minUsers} users active in its hour (got ${Math.min(users, periodEvents)}): raise users`,
      );
    }
  }

  /**
   * Adds the outlier_activity user, sized against the fence of its hour; returns the normal events
   * (with a count, the outlier's events come out of them).
   */
  private injectOutlier(target: string, normal: number): number {
    const cfg = this.cfg;
    const { periodStart, minutes } = this.placement.outlier!;
    const index = this.planner.periods.findIndex((p) => p.start === periodStart);
    const count = this.planner.outlierCount(index, target);
    if (count > minutes.length * cfg.perMinuteCap) {
      throw new GeneratorOptionsError(
        'fraud',
        `outlier_activity needs ${count} events in one hour but only ${minutes.length} free minutes of at most ${cfg.perMinuteCap} events: lengthen the stream or lower the rate`,
      );
    }
    const job = outlierJob(cfg, target, periodStart, minutes, count);
    this.placement.jobs.push(job);
    this.planner.addInjected(job.events);
    if (cfg.count === undefined) return normal;
    const left = normal - count;
    if (left < 1)
      throw new GeneratorOptionsError(
        'count',
        `count ${cfg.count} leaves no room for normal traffic`,
      );
    this.planner.reallocate(left);
    return left;
  }

  /**
   * Plans every period once: exact totals, and outlier_activity for every user of every hour.
   * Returns the normal events planned (fewer than asked for if the outlier fence forced it).
   */
  private planPeriods(normal: number): number {
    const th = this.cfg.th;
    const target = this.planner.outlierTarget;
    let planned = 0;
    for (let index = 0; index < this.planner.periods.length; index++) {
      const plan = this.planner.planPeriod(index);
      plan.counts.forEach((count) => (planned += count));
      const start = plan.span.start;
      this.outlierAlertList.push(
        ...outlierAlerts(start, plan.outliers, plan.fence, th, target, this.end),
      );
    }
    if (target && !this.outlierAlertList.some((a) => a.user_id === target)) {
      this.warnings.push('outlier_activity was injected but its user does not end above the fence');
    }
    if (planned !== normal) {
      this.warnings.push(
        `normal traffic lowered by ${normal - planned} events to keep normal users inside the outlier_activity fence`,
      );
    }
    return planned;
  }
}

/**
 * Where the stream ends and how many normal events it has: from the duration, or (count) what the
 * injected cases leave of the count at the rate.
 */
function streamSpan(cfg: ResolvedConfig): { end: number; normal: number } {
  const start = cfg.startTime;
  let end: number;
  let normal: number;
  if (cfg.durationMs !== undefined) {
    end = start + cfg.durationMs;
    normal = Math.round((cfg.rate * cfg.durationMs) / 1000);
  } else {
    const count = cfg.count as number;
    // The injected cases' size does not depend on where they go: a provisional placement over a
    // generous span measures it.
    const provisional = placeInjectedCases(
      cfg,
      start,
      start + Math.ceil((count / cfg.rate) * 1000) + 3_600_000,
    );
    const fixed = injectedSize(provisional);
    normal = count - fixed;
    if (normal < 1) {
      throw new GeneratorOptionsError(
        'count',
        `count ${count} leaves no room for normal traffic: the injected cases alone take ${fixed} events`,
      );
    }
    end = start + Math.max(1, Math.ceil((normal / cfg.rate) * 1000));
  }
  if (end > MAX_EVENT_TIME_MS)
    fail('durationSeconds', 'takes the stream past year 9999', cfg.durationMs);
  return { end, normal };
}
