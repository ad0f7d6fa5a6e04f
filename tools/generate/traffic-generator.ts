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
 * (`b`): the multiset of `b` values is a stratified uniform sample of 1..K whose sum is the period's
 * share of `ratePerSecond × duration` (so rate and totals are exact). Each active user lays its `b`
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
 */
import {
  ClickEventInput,
  EventType,
  formatEventTime,
  MAX_EVENT_TIME_MS,
} from '@clickstream/contracts';
import {
  BOT_USER_AGENT,
  cheapProducts,
  COUNTRIES,
  COUNTRY_WEIGHTS,
  Country,
  EXTERNAL_REFERRERS,
  getCatalogue,
  ipIn,
  MOBILE_USER_AGENTS,
  pickProduct,
  Product,
  SHOP_ORIGIN,
  USER_AGENTS,
} from './catalogue';
import { hash32, Rng, uuidFrom } from './prng';
import {
  alignDown,
  DEFAULT_THRESHOLDS,
  FRAUD_PATTERNS,
  FraudPattern,
  FraudThresholds,
  GLOBAL_WINDOW_MS,
  GlobalHit,
  GlobalMinuteRules,
  isOutlier,
  NEAR_MISS_RULES,
  OutlierFence,
  outlierFence,
  RuleEvent,
  userWindowValues,
} from './rules';

export { DEFAULT_THRESHOLDS, FRAUD_PATTERNS, isFraudPattern } from './rules';
export type { FraudPattern, FraudThresholds } from './rules';

const MINUTE = 60_000;

// Shape of normal traffic.
const BASE_MEAN_EVENTS = 8; // mean events of an active user per period when users are plentiful
const TWO_VISIT_P = 0.45;
const UNDER_30_MIN_P = 0.35;
const GAP_MEDIAN_S = 22;
const GAP_SIGMA = 1.0;
const GAP_MAX_S = 300;
const BURST_P = 0.7;
const DROP_WEIGHT = 0.05;
/** A new client session id after this much inactivity (shorter than the sessionizer's 30 min). */
export const CLIENT_SESSION_GAP_MS = 25 * MINUTE;
/** Share of a per-window threshold that normal users may reach. */
const NORMAL_SHARE = 0.6;

// Injected global patterns.
const SPIKE_MARGIN = 1.4; // spike minute ≈ 1.4 × spikeFactor × base
const GLOBAL_LEAD_MINUTES = 12; // history before a spike/drop minute
const MEAN_MARGIN = 1.2; // base rate must be this much above globalMinMean

// Stream tags for hash32, so each purpose gets an independent random stream.
const TAG = {
  place: 1,
  period: 2,
  layout: 3,
  burst: 4,
  profile: 5,
  content: 6,
  session: 7,
  alt: 8,
  spike: 9,
  job: 10,
  disorder: 11,
} as const;

export interface FunnelOptions {
  /** P(cart | the event after a view). */
  cart: number;
  /** P(checkout | the event after a cart). */
  checkout: number;
  /** P(remove_from_cart | the event after a cart). */
  remove: number;
  /** P(purchase | the event after a checkout). */
  purchase: number;
}

export const DEFAULT_FUNNEL: Readonly<FunnelOptions> = Object.freeze({
  cart: 0.1,
  checkout: 0.4,
  remove: 0.15,
  purchase: 0.5,
});

export interface TrafficOptions {
  seed: number;
  /** Normal users. Default: 300 per event/s of rate (at least 50). */
  users?: number;
  /** Event time of the stream's start (epoch ms). */
  startTime: number;
  /** Normal events per second of event time. */
  ratePerSecond: number;
  /** Length of the stream in event time; give this or `count`. */
  durationSeconds?: number;
  /** Exact number of events (normal + injected); give this or `durationSeconds`. */
  count?: number;
  fraud?: readonly FraudPattern[];
  /** Also inject cases exactly at the per-user thresholds, which must not fire. */
  nearMiss?: boolean;
  /** Bounded shuffle: an event comes at most this many ms of event time after a later one. */
  disorderMs?: number;
  thresholds?: Partial<FraudThresholds>;
  funnel?: Partial<FunnelOptions>;
  /** Short bursts of elevated traffic (default true). */
  bursts?: boolean;
}

export class GeneratorOptionsError extends Error {
  constructor(
    /** The option at fault, e.g. `ratePerSecond` or `thresholds.clickFlood`. */
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = 'GeneratorOptionsError';
  }
}

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

interface ResolvedConfig {
  seed: number;
  users: number;
  startTime: number;
  rate: number;
  durationMs?: number;
  count?: number;
  fraud: FraudPattern[];
  nearMiss: boolean;
  disorderMs: number;
  th: FraudThresholds;
  funnel: FunnelOptions;
  bursts: boolean;
  // Derived caps that keep normal users below the per-user thresholds.
  burstWeight: number;
  dropWeight: number;
  /** Smallest gap between two events of a normal user, in virtual (unwarped) seconds. */
  gapMinV: number;
  /** Most events an injected long-running user (outlier) may have in one minute. */
  perMinuteCap: number;
  purchaseCap: number;
  amountCap: number;
}

// ---------------------------------------------------------------------------------------------
// Options

function resolveOptions(opts: TrafficOptions): ResolvedConfig {
  const seed = opts.seed;
  if (!Number.isSafeInteger(seed) || seed < 0) fail('seed', 'must be an integer >= 0', seed);
  if (
    !Number.isSafeInteger(opts.startTime) ||
    opts.startTime < 0 ||
    opts.startTime > MAX_EVENT_TIME_MS
  ) {
    fail('startTime', 'must be epoch milliseconds (an integer >= 0)', opts.startTime);
  }
  const rate = opts.ratePerSecond;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0)
    fail('ratePerSecond', 'must be a number > 0', rate);
  const hasDuration = opts.durationSeconds !== undefined;
  const hasCount = opts.count !== undefined;
  if (hasDuration === hasCount) {
    throw new GeneratorOptionsError(
      'durationSeconds',
      'give exactly one of durationSeconds and count',
    );
  }
  let durationMs: number | undefined;
  if (hasDuration) {
    const d = opts.durationSeconds as number;
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0)
      fail('durationSeconds', 'must be a number > 0', d);
    durationMs = Math.round(d * 1000);
    if (durationMs < 1) fail('durationSeconds', 'must be at least 1 ms', d);
  }
  if (hasCount && (!Number.isSafeInteger(opts.count) || (opts.count as number) < 1)) {
    fail('count', 'must be an integer >= 1', opts.count);
  }
  const users = opts.users ?? Math.max(50, Math.ceil(rate * 300));
  if (!Number.isSafeInteger(users) || users < 1 || users > 50_000_000)
    fail('users', 'must be an integer from 1 to 50,000,000', users);
  const disorderMs = opts.disorderMs ?? 0;
  if (!Number.isSafeInteger(disorderMs) || disorderMs < 0)
    fail('disorderMs', 'must be an integer >= 0', disorderMs);

  const fraud: FraudPattern[] = [];
  for (const f of opts.fraud ?? []) {
    if (!(FRAUD_PATTERNS as readonly string[]).includes(f))
      fail('fraud', `must list patterns from ${FRAUD_PATTERNS.join(', ')}`, f);
    if (!fraud.includes(f)) fraud.push(f);
  }

  const th = resolveThresholds(opts.thresholds ?? {});
  const funnel = { ...DEFAULT_FUNNEL, ...(opts.funnel ?? {}) };
  for (const [k, v] of Object.entries(funnel)) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1))
      fail(`funnel.${k}`, 'must be a probability from 0 to 1', v);
  }
  if (funnel.checkout + funnel.remove > 1)
    fail('funnel.remove', 'checkout + remove must be at most 1', funnel.remove);

  const burstWeight = opts.bursts === false ? 1 : Math.min(1.6, 1 + 0.4 * (th.spikeFactor - 1));
  const dropWeight = Math.min(DROP_WEIGHT, th.dropFactor / 4);
  const perWindow = Math.max(1, Math.floor(NORMAL_SHARE * th.clickFlood));
  // +10 ms so that flooring event times to whole ms can never squeeze in one more event.
  const gapMinReal = th.clickFloodWindowMs / 1000 / perWindow + 0.01;
  const gapMinV = gapMinReal * Math.max(1, burstWeight);
  const perMinuteCap = Math.max(
    1,
    Math.floor((NORMAL_SHARE * th.clickFlood * MINUTE) / Math.max(MINUTE, th.clickFloodWindowMs)),
  );
  return {
    seed,
    users,
    startTime: opts.startTime,
    rate,
    durationMs,
    count: opts.count,
    fraud,
    nearMiss: opts.nearMiss ?? false,
    disorderMs,
    th,
    funnel,
    bursts: opts.bursts !== false,
    burstWeight,
    dropWeight,
    gapMinV,
    perMinuteCap,
    purchaseCap: Math.ceil(th.purchaseVelocity / 2),
    amountCap: th.highValue / 2,
  };
}

function resolveThresholds(overrides: Partial<FraudThresholds>): FraudThresholds {
  const th: FraudThresholds = { ...DEFAULT_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_THRESHOLDS))
      fail(
        `thresholds.${key}`,
        `is not a threshold (use ${Object.keys(DEFAULT_THRESHOLDS).join(', ')})`,
        value,
      );
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      fail(`thresholds.${key}`, 'must be a number >= 0', value);
    (th as unknown as Record<string, number>)[key] = value;
  }
  const atLeast = (key: keyof FraudThresholds, min: number, integer = true) => {
    const v = th[key];
    if (v < min || (integer && !Number.isInteger(v)))
      fail(`thresholds.${key}`, `must be ${integer ? 'an integer' : 'a number'} >= ${min}`, v);
  };
  atLeast('clickFlood', 1);
  atLeast('ipHopping', 1);
  atLeast('geoVelocity', 1);
  atLeast('purchaseVelocity', 0);
  atLeast('highValue', 0, false);
  atLeast('outlierMinEvents', 1);
  atLeast('outlierMinUsers', 1);
  atLeast('globalHistoryMinutes', 1);
  atLeast('globalMinHistoryMinutes', 0);
  atLeast('clickFloodWindowMs', 1000);
  for (const key of ['userWindowMs', 'outlierWindowMs'] as const) {
    if (!Number.isInteger(th[key]) || th[key] < MINUTE || th[key] % MINUTE !== 0) {
      fail(`thresholds.${key}`, 'must be a whole number of minutes (in ms)', th[key]);
    }
  }
  if (th.spikeFactor <= 1) fail('thresholds.spikeFactor', 'must be > 1', th.spikeFactor);
  if (!(th.dropFactor > 0 && th.dropFactor < 1))
    fail('thresholds.dropFactor', 'must be between 0 and 1', th.dropFactor);
  if (th.globalMinHistoryMinutes > th.globalHistoryMinutes) {
    fail(
      'thresholds.globalMinHistoryMinutes',
      'must be at most globalHistoryMinutes',
      th.globalMinHistoryMinutes,
    );
  }
  return th;
}

function fail(option: string, rule: string, value: unknown): never {
  throw new GeneratorOptionsError(
    option,
    `${option} ${rule} (got ${JSON.stringify(value) ?? String(value)})`,
  );
}

// ---------------------------------------------------------------------------------------------
// Injected cases

interface InjectedEvent {
  t: number;
  user: string;
  type: EventType;
  ip: string;
  country: string;
  ua: string;
  session: string;
  product?: Product;
  price?: number;
  quantity?: number;
  page: string;
  referrer?: string;
  query?: string;
}

interface Job {
  user: string;
  pattern: FraudPattern;
  kind: 'fraud' | 'nearmiss';
  windowStart: number;
  windowEnd: number;
  events: InjectedEvent[];
  note?: string;
}

interface SpikePlan {
  minute: number;
  /** Extra events in the spike minute, from the period's active normal users, round-robin. */
  extra: number;
  /** Fewest active users that keeps every user's share at most `perUser`. */
  minUsers: number;
  /** Most extra events one user gets (keeps it below click_flood with its normal events). */
  perUser: number;
}

interface Placement {
  jobs: Job[];
  spike?: SpikePlan;
  dropMinute?: number;
  outlier?: { periodStart: number; minutes: number[] };
}

interface PeriodSpan {
  start: number;
  spanStart: number;
  spanEnd: number;
}

interface Segment {
  realStart: number;
  realEnd: number;
  vStart: number;
  weight: number;
}

interface PeriodPlan {
  span: PeriodSpan;
  segments: Segment[];
  /** Virtual length of the span in seconds (Σ weight × seconds). */
  V: number;
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

// ---------------------------------------------------------------------------------------------
// The generator

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
  private readonly periods: PeriodSpan[];
  private alloc: number[];
  private readonly placement: Placement;
  private readonly injectedByPeriod = new Map<number, InjectedEvent[]>();
  private readonly injectedCounts = new Map<number, Map<string, number>>();
  private readonly outlierTarget?: string;
  private readonly userAlerts: ExpectedAlert[] = [];
  private readonly outlierAlertList: ExpectedAlert[] = [];
  private readonly nearMisses: NearMiss[] = [];
  private readonly warnings: string[] = [];
  private completed?: { hits: GlobalHit[]; events: number };

  constructor(options: TrafficOptions) {
    const cfg = (this.cfg = resolveOptions(options));
    this.seed = cfg.seed;
    this.users = cfg.users;
    this.start = cfg.startTime;
    const wantsOutlier = cfg.fraud.includes('outlier_activity');

    // Span: a duration, or (count) the time the normal share of the count takes at the rate.
    let end: number;
    let normal: number;
    if (cfg.durationMs !== undefined) {
      end = this.start + cfg.durationMs;
      normal = Math.round((cfg.rate * cfg.durationMs) / 1000);
    } else {
      const count = cfg.count as number;
      const provisional = this.place(
        this.start,
        this.start + Math.ceil((count / cfg.rate) * 1000) + 3_600_000,
      );
      const fixed = injectedSize(provisional);
      normal = count - fixed;
      if (normal < 1) {
        throw new GeneratorOptionsError(
          'count',
          `count ${count} leaves no room for normal traffic: the injected cases alone take ${fixed} events`,
        );
      }
      end = this.start + Math.max(1, Math.ceil((normal / cfg.rate) * 1000));
    }
    if (end > MAX_EVENT_TIME_MS)
      fail('durationSeconds', 'takes the stream past year 9999', cfg.durationMs);
    this.end = end;
    this.placement = this.place(this.start, end);
    this.periods = periodsOf(this.start, end, cfg.th.outlierWindowMs);
    this.alloc = allocate(normal, this.periods);
    this.checkCapacity();

    for (const job of this.placement.jobs) this.addInjected(job.events);
    if (this.placement.spike) {
      const { minute, minUsers } = this.placement.spike;
      const E = this.alloc[this.periodIndexOf(minute)];
      if (Math.min(cfg.users, E) < minUsers) {
        throw new GeneratorOptionsError(
          'users',
          `traffic_spike needs at least ${minUsers} users active in its hour (got ${Math.min(cfg.users, E)}): raise users`,
        );
      }
    }

    if (wantsOutlier) {
      const target = (this.outlierTarget = 'fraud-outlier_activity-1');
      const { periodStart, minutes } = this.placement.outlier!;
      const pIndex = this.periods.findIndex((p) => p.start === periodStart);
      const x = this.outlierCount(pIndex, target);
      if (x > minutes.length * cfg.perMinuteCap) {
        throw new GeneratorOptionsError(
          'fraud',
          `outlier_activity needs ${x} events in one hour but only ${minutes.length} free minutes of at most ${cfg.perMinuteCap} events: lengthen the stream or lower the rate`,
        );
      }
      const job = this.outlierJob(target, periodStart, minutes, x);
      this.placement.jobs.push(job);
      this.addInjected(job.events);
      if (cfg.count !== undefined) {
        normal -= x;
        if (normal < 1)
          throw new GeneratorOptionsError(
            'count',
            `count ${cfg.count} leaves no room for normal traffic`,
          );
        this.alloc = allocate(normal, this.periods);
      }
    }
    // Plan every period once: exact totals, and outlier_activity for every user of every hour.
    let planned = 0;
    for (let p = 0; p < this.periods.length; p++) {
      const plan = this.planPeriod(p);
      plan.counts.forEach((c) => (planned += c));
      for (const { user, value } of plan.outliers) {
        const windowEnd = plan.span.start + cfg.th.outlierWindowMs;
        this.outlierAlertList.push({
          rule: 'outlier_activity',
          user_id: user,
          window_start: iso(plan.span.start),
          window_end: iso(windowEnd),
          value,
          threshold: round6(plan.fence!.fence),
          source: user === this.outlierTarget ? 'injected' : 'incidental',
          ...(windowEnd > this.end ? { trailing: true } : {}),
          note: `Q1 ${round6(plan.fence!.q1)}, Q3 ${round6(plan.fence!.q3)}, ${plan.fence!.activeUsers} active users`,
        });
      }
    }
    if (
      this.outlierTarget &&
      !this.outlierAlertList.some((a) => a.user_id === this.outlierTarget)
    ) {
      this.warnings.push('outlier_activity was injected but its user does not end above the fence');
    }
    if (planned !== normal) {
      this.warnings.push(
        `normal traffic lowered by ${normal - planned} events to keep normal users inside the outlier_activity fence`,
      );
    }
    this.normalEvents = planned;
    this.injectedEvents = injectedSize(this.placement);
    this.totalEvents = planned + this.injectedEvents;

    this.evaluateInjected();
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** @internal Resolved options (for the cursors). */
  get config(): ResolvedConfig {
    return this.cfg;
  }

  /** The stream, in event-time order (bounded-shuffled when disorderMs > 0). Restartable. */
  *events(): Generator<ClickEventInput, void, undefined> {
    const run = new Run(this.cfg);
    const ordered = this.ordered(run);
    if (this.cfg.disorderMs > 0)
      yield* shuffleBounded(ordered, this.cfg.disorderMs, hash32(this.seed, TAG.disorder));
    else for (const item of ordered) yield item.event;
    run.oracle.finish();
    this.completed = { hits: run.oracle.hits, events: run.emitted };
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
    const warnings = [...this.warnings];
    const expected = [...this.userAlerts, ...this.outlierAlertList];
    const planned = new Map<string, number>();
    if (this.placement.spike) planned.set('traffic_spike', this.placement.spike.minute);
    if (this.placement.dropMinute !== undefined)
      planned.set('traffic_drop', this.placement.dropMinute);
    for (const hit of done.hits) {
      const injected = planned.get(hit.rule) === hit.windowStart;
      if (injected) planned.delete(hit.rule);
      expected.push({
        rule: hit.rule,
        user_id: null,
        window_start: iso(hit.windowStart),
        window_end: iso(hit.windowStart + GLOBAL_WINDOW_MS),
        value: hit.value,
        threshold: round6(hit.threshold),
        source: injected ? 'injected' : 'incidental',
        ...(hit.windowStart + GLOBAL_WINDOW_MS > this.end ? { trailing: true } : {}),
        note: `mean of previous minutes ${round6(hit.mean)}`,
      });
    }
    for (const [rule, minute] of planned) {
      warnings.push(
        `${rule} was injected at ${iso(minute)} but the minute does not cross the threshold`,
      );
    }
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
      warnings,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Planning

  private countsOf(t: number): Map<string, number> {
    const p = this.periodIndexOf(t);
    let m = this.injectedCounts.get(p);
    if (!m) this.injectedCounts.set(p, (m = new Map()));
    return m;
  }

  private periodIndexOf(t: number): number {
    const start = alignDown(t, this.cfg.th.outlierWindowMs);
    return Math.round((start - this.periods[0].start) / this.cfg.th.outlierWindowMs);
  }

  private addInjected(events: InjectedEvent[]): void {
    for (const e of events) {
      const p = this.periodIndexOf(e.t);
      let list = this.injectedByPeriod.get(p);
      if (!list) this.injectedByPeriod.set(p, (list = []));
      list.push(e);
      const counts = this.countsOf(e.t);
      counts.set(e.user, (counts.get(e.user) ?? 0) + 1);
    }
    for (const list of this.injectedByPeriod.values())
      list.sort((a, b) => a.t - b.t || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  }

  /** Fails early, naming the options, when normal users cannot carry the rate below the thresholds. */
  private checkCapacity(): void {
    const cfg = this.cfg;
    this.periods.forEach((span, i) => {
      const V = this.segmentsOf(span).V;
      const cap = Math.max(1, Math.floor(V / cfg.gapMinV));
      const most = Math.floor((cfg.users * (cap + 1)) / 2);
      if (this.alloc[i] > most && this.alloc[i] > cfg.users) {
        const perUser = (cap + 1) / 2 / (V || 1);
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

  /** Minute weights of a period: bursts, the drop minute. Indexed by minute of the period. */
  private weightsOf(periodStart: number): Float64Array {
    const cfg = this.cfg;
    const minutes = cfg.th.outlierWindowMs / MINUTE;
    const w = new Float64Array(minutes).fill(1);
    if (cfg.bursts && cfg.burstWeight > 1) {
      const r = new Rng(hash32(cfg.seed, TAG.burst, periodStart));
      if (r.next() < BURST_P) {
        const len = 2 + r.int(3);
        const first = r.int(Math.max(1, minutes - len + 1));
        for (let i = first; i < Math.min(minutes, first + len); i++) w[i] = cfg.burstWeight;
      }
    }
    const drop = this.placement?.dropMinute;
    if (drop !== undefined && drop >= periodStart && drop < periodStart + cfg.th.outlierWindowMs) {
      w[(drop - periodStart) / MINUTE] = cfg.dropWeight;
    }
    return w;
  }

  private segmentsOf(span: PeriodSpan): { segments: Segment[]; V: number } {
    const weights = this.weightsOf(span.start);
    const segments: Segment[] = [];
    let V = 0;
    for (let i = 0; i < weights.length; i++) {
      const m = span.start + i * MINUTE;
      const realStart = Math.max(m, span.spanStart);
      const realEnd = Math.min(m + MINUTE, span.spanEnd);
      if (realEnd <= realStart) continue;
      segments.push({ realStart, realEnd, vStart: V, weight: weights[i] });
      V += ((realEnd - realStart) / 1000) * weights[i];
    }
    return { segments, V };
  }

  /**
   * Plans one period: which normal users are active, with how many events each, and where.
   * `extra` adds a (hypothetical) injected user's count, for sizing the outlier case.
   */
  private planPeriod(pIndex: number, extra?: { user: string; count: number }): PeriodPlan {
    const cfg = this.cfg;
    const th = cfg.th;
    const span = this.periods[pIndex];
    const { segments, V } = this.segmentsOf(span);
    const E = this.alloc[pIndex];
    const injected = new Map(this.injectedCounts.get(pIndex) ?? []);
    if (extra) injected.set(extra.user, extra.count);
    const injectedValues = [...injected.values()];

    // Injected users that must not be outliers: keep the normal distribution wide enough that the
    // fence clears them (fence of a uniform 1..K ≈ 1 + (K−1)(0.75 + 0.5·factor)).
    let maxGuarded = 0;
    for (const [user, count] of injected) {
      if (user !== this.outlierTarget && count >= th.outlierMinEvents)
        maxGuarded = Math.max(maxGuarded, count);
    }
    const spread = 0.75 + 0.5 * th.outlierIqrFactor;
    const kNeeded = maxGuarded > 0 ? (maxGuarded - 1) / spread + 4 : 0;
    const muMin = Math.max(BASE_MEAN_EVENTS, (kNeeded + 1) / 2);
    const cap = Math.max(1, Math.floor(V / cfg.gapMinV));

    let M = 0;
    if (E > 0) {
      const mu = Math.max(muMin, E / cfg.users);
      M = Math.min(cfg.users, Math.max(1, Math.round(E / mu)));
      if (injected.has(this.outlierTarget ?? '\0')) {
        const needed = th.outlierMinUsers + 2 - injectedValues.filter((c) => c > 0).length;
        if (needed > M) M = Math.min(cfg.users, needed);
      }
      if (2 * (E / M) - 1 > cap) M = Math.min(cfg.users, Math.ceil((2 * E) / (cap + 1)));
      const spike = this.spikeIn(span);
      if (spike && spike.minUsers > M) M = Math.min(cfg.users, spike.minUsers);
      M = Math.min(M, E);
    }
    const rng = new Rng(hash32(cfg.seed, TAG.period, span.start));
    const counts = stratifiedCounts(E, M, cap);
    rng.shuffle(counts);
    const users = sampleUsers(rng, cfg.users, M);
    const offsets = new Float64Array(M);
    for (let i = 0; i < M; i++) offsets[i] = ((i + rng.next()) / M) * V;
    // A spike is a flash crowd: the period's active users share its extra events round-robin, so
    // every count moves up by about the same amount and the outlier fence with it.
    const extras = new Int32Array(M);
    const spike = this.spikeIn(span);
    if (spike && M > 0)
      for (let i = 0; i < M; i++)
        extras[i] = Math.floor(spike.extra / M) + (i < spike.extra % M ? 1 : 0);

    const fence = repairOutliers(counts, extras, injectedValues, th);
    const outliers: PeriodPlan['outliers'] = [];
    for (let i = 0; i < M; i++) {
      const value = counts[i] + extras[i];
      if (isOutlier(value, fence, th.outlierMinEvents))
        outliers.push({ user: normalUser(users[i]), value });
    }
    for (const [user, count] of injected) {
      if (isOutlier(count, fence, th.outlierMinEvents)) outliers.push({ user, value: count });
    }
    return { span, segments, V, users, counts, extras, offsets, fence, outliers };
  }

  private spikeIn(span: PeriodSpan): SpikePlan | undefined {
    const spike = this.placement?.spike;
    return spike &&
      spike.minute >= span.start &&
      spike.minute < span.start + this.cfg.th.outlierWindowMs
      ? spike
      : undefined;
  }

  /** Events the outlier user needs: well above the fence of its hour (which it raises itself). */
  private outlierCount(pIndex: number, target: string): number {
    const th = this.cfg.th;
    let x = th.outlierMinEvents;
    for (let i = 0; i < 30; i++) {
      const plan = this.planPeriod(pIndex, { user: target, count: x });
      if (!plan.fence) {
        throw new GeneratorOptionsError(
          'fraud',
          `outlier_activity needs at least ${th.outlierMinUsers} active users in its hour (got ${plan.users.length} normal ones): raise users or rate`,
        );
      }
      if (x > plan.fence.fence * 1.25) return x;
      x = Math.max(x + 1, Math.ceil(plan.fence.fence * 1.5) + 1);
    }
    return x;
  }

  /** Exact per-user rule values for every injected user: expected alerts and near misses. */
  private evaluateInjected(): void {
    const th = this.cfg.th;
    const jobs = this.placement.jobs;
    const events: RuleEvent[] = jobs.flatMap((j) =>
      j.events.map((e) => ({
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
    for (const v of values) {
      if (!(v.value > v.threshold)) continue;
      const job = jobs.find((j) => j.user === v.user);
      const injected =
        job?.kind === 'fraud' && job.pattern === v.rule && job.windowStart === v.windowStart;
      this.userAlerts.push({
        rule: v.rule,
        user_id: v.user,
        window_start: iso(v.windowStart),
        window_end: iso(v.windowEnd),
        value: round6(v.value),
        threshold: v.threshold,
        source: injected ? 'injected' : 'incidental',
      });
    }
    for (const job of jobs) {
      if (job.kind === 'fraud' && (NEAR_MISS_RULES as readonly string[]).includes(job.pattern)) {
        if (
          !this.userAlerts.some(
            (a) => a.user_id === job.user && a.rule === job.pattern && a.source === 'injected',
          )
        ) {
          this.warnings.push(`${job.pattern} case ${job.user} does not cross its threshold`);
        }
      }
      if (job.kind !== 'nearmiss') continue;
      const own = values.filter((v) => v.user === job.user && v.rule === job.pattern);
      const value = Math.max(0, ...own.map((v) => v.value));
      this.nearMisses.push({
        rule: job.pattern,
        user_id: job.user,
        window_start: iso(job.windowStart),
        window_end: iso(job.windowEnd),
        value: round6(value),
        threshold: own[0]?.threshold ?? 0,
        note: job.note ?? 'exactly at the threshold',
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Placement of injected cases

  private place(S0: number, S1: number): Placement {
    const cfg = this.cfg;
    const th = cfg.th;
    const rng = new Rng(hash32(cfg.seed, TAG.place));
    const fraud = new Set(cfg.fraud);
    const first = alignDown(S0, MINUTE);
    const full: number[] = [];
    for (let m = Math.ceil(S0 / MINUTE) * MINUTE; m + MINUTE <= S1; m += MINUTE) full.push(m);
    const reserved = new Set<number>();
    const placement: Placement = { jobs: [] };
    // Per-user cases go to the period with the most whole minutes when they fit there: normal users
    // of a longer span can have more events, which keeps the outlier fence above the cases' counts.
    const P = th.outlierWindowMs;
    const minutesPer = new Map<number, number>();
    for (const m of full)
      minutesPer.set(alignDown(m, P), (minutesPer.get(alignDown(m, P)) ?? 0) + 1);
    const mainPeriod = [...minutesPer].reduce<[number, number] | undefined>(
      (best, e) => (!best || e[1] > best[1] ? e : best),
      undefined,
    )?.[0];
    const preferMain = (candidates: number[]) => {
      const inMain = candidates.filter((c) => alignDown(c, P) === mainPeriod);
      return inMain.length > 0 ? inMain : candidates;
    };
    const need = (what: string, ok: boolean, detail: string) => {
      if (!ok) throw new GeneratorOptionsError('fraud', `${what} does not fit: ${detail}`);
    };

    // Global patterns: full minutes with a history of at least GLOBAL_LEAD_MINUTES.
    const wantsSpike = fraud.has('traffic_spike');
    const wantsDrop = fraud.has('traffic_drop');
    if (wantsSpike || wantsDrop) {
      const base = cfg.rate * 60;
      const names = [wantsSpike && 'traffic_spike', wantsDrop && 'traffic_drop']
        .filter(Boolean)
        .join(' and ');
      need(
        names,
        base >= th.globalMinMean * MEAN_MARGIN,
        `${wantsSpike && wantsDrop ? 'they need' : 'it needs'} a background of at least ${Math.ceil(th.globalMinMean * MEAN_MARGIN)} events/min (rate >= ${round6((th.globalMinMean * MEAN_MARGIN) / 60)}/s), got ${round6(base)}/min`,
      );
      const eligible = full.filter(
        (m) =>
          (m - first) / MINUTE >= Math.max(GLOBAL_LEAD_MINUTES, th.globalMinHistoryMinutes + 2),
      );
      if (wantsSpike) {
        need(
          'traffic_spike',
          eligible.length > 0,
          `the stream needs more than ${GLOBAL_LEAD_MINUTES + 1} minutes`,
        );
        const minute = rng.pick(eligible);
        reserved.add(minute);
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
        placement.spike = { minute, extra, perUser, minUsers: Math.ceil(extra / perUser) };
      }
      if (wantsDrop) {
        const spike = placement.spike?.minute;
        const candidates = eligible.filter(
          (m) => spike === undefined || Math.abs(m - spike) >= 3 * MINUTE,
        );
        need(
          'traffic_drop',
          candidates.length > 0,
          `the stream needs more than ${GLOBAL_LEAD_MINUTES + 4} minutes`,
        );
        placement.dropMinute = rng.pick(candidates);
        reserved.add(placement.dropMinute);
      }
    }

    // Heavy per-window cases (click floods) take click-flood windows of their own.
    const W = th.clickFloodWindowMs;
    const freeWindow = (w: number, n: number) => {
      if (w < S0 || w + n * W > S1) return false;
      for (let m = alignDown(w, MINUTE); m < w + n * W; m += MINUTE)
        if (reserved.has(m)) return false;
      return true;
    };
    const reserveWindow = (w: number, n: number) => {
      for (let m = alignDown(w, MINUTE); m < w + n * W; m += MINUTE) reserved.add(m);
    };
    const windows = (n: number) => {
      const out: number[] = [];
      for (let w = Math.ceil(S0 / W) * W; w + n * W <= S1; w += W)
        if (freeWindow(w, n)) out.push(w);
      return out;
    };
    const jobRng = (k: number) => new Rng(hash32(cfg.seed, TAG.job, k));
    let jobNo = 0;
    const floodCase = (user: string, kind: Job['kind'], n: number) => {
      const free = windows(1);
      need(
        `click_flood (${user})`,
        free.length > 0,
        'the stream needs a free, whole click-flood window',
      );
      const w = rng.pick(preferMain(free));
      reserveWindow(w, 1);
      const r = jobRng(jobNo++);
      const times = spread(r, w, w + W, n);
      const ctx = this.botContext(r, user, 'US');
      placement.jobs.push({
        user,
        pattern: 'click_flood',
        kind,
        windowStart: w,
        windowEnd: w + W,
        events: times.map((t) =>
          this.browseEvent(
            r,
            ctx,
            t,
            r.next() < 0.6 ? 'click' : r.next() < 0.75 ? 'view' : 'page_view',
          ),
        ),
        ...(kind === 'nearmiss' ? { note: `exactly ${n} events in one window` } : {}),
      });
    };
    if (fraud.has('click_flood')) floodCase('fraud-click_flood-1', 'fraud', th.clickFlood + 1);
    if (cfg.nearMiss) {
      floodCase('nearmiss-click_flood-1', 'nearmiss', th.clickFlood);
      // Straddling: more than the threshold within W, but split over two aligned windows.
      const half = Math.min(th.clickFlood, Math.ceil(NORMAL_SHARE * th.clickFlood));
      const free = windows(2);
      need(
        'the straddling click_flood near miss',
        free.length > 0,
        'the stream needs two free, consecutive click-flood windows',
      );
      const w = rng.pick(preferMain(free));
      reserveWindow(w, 2);
      const r = jobRng(jobNo++);
      const user = 'nearmiss-click_flood-2';
      const ctx = this.botContext(r, user, 'US');
      const times = [
        ...spread(r, w + W / 2, w + W, half),
        ...spread(r, w + W, w + (3 * W) / 2, half),
      ];
      placement.jobs.push({
        user,
        pattern: 'click_flood',
        kind: 'nearmiss',
        windowStart: w,
        windowEnd: w + 2 * W,
        events: times.map((t) => this.browseEvent(r, ctx, t, 'click')),
        note: `${half} + ${half} clicks within ${W / 1000} s, straddling the boundary at ${iso(w + W)}: ${half} per aligned window`,
      });
    }

    // Light cases (a few events each) in 10-min windows, on minutes no heavy case or global pattern uses.
    const light = full.filter((m) => !reserved.has(m));
    const UW = th.userWindowMs;
    const lightWindows = [...new Set(light.map((m) => alignDown(m, UW)))];
    const lightCase = (
      pattern: FraudPattern,
      kind: Job['kind'],
      build: (r: Rng, times: (n: number) => number[], user: string) => InjectedEvent[],
      note?: string,
    ) => {
      const user = `${kind === 'fraud' ? 'fraud' : 'nearmiss'}-${pattern}-1`;
      need(`${pattern} (${user})`, lightWindows.length > 0, 'the stream needs a free whole minute');
      const w = rng.pick(preferMain(lightWindows));
      const minutes = light.filter((m) => m >= w && m < w + UW);
      const chosen = rng
        .shuffle([...minutes])
        .slice(0, Math.min(3, minutes.length))
        .sort((a, b) => a - b);
      const r = jobRng(jobNo++);
      const times = (n: number) => spreadOver(r, chosen, n);
      placement.jobs.push({
        user,
        pattern,
        kind,
        windowStart: w,
        windowEnd: w + UW,
        events: build(r, times, user),
        ...(note ? { note } : {}),
      });
    };
    const kinds = (pattern: FraudPattern): Job['kind'][] => [
      ...(fraud.has(pattern) ? (['fraud'] as const) : []),
      ...(cfg.nearMiss ? (['nearmiss'] as const) : []),
    ];
    for (const kind of kinds('ip_hopping')) {
      const n = th.ipHopping + (kind === 'fraud' ? 1 : 0);
      lightCase(
        'ip_hopping',
        kind,
        (r, times, user) => this.ipHoppingEvents(r, user, times(n + 2), n),
        kind === 'nearmiss' ? `exactly ${n} distinct IPs` : undefined,
      );
    }
    for (const kind of kinds('purchase_velocity')) {
      const n = th.purchaseVelocity + (kind === 'fraud' ? 1 : 0);
      lightCase(
        'purchase_velocity',
        kind,
        (r, times, user) => this.purchaseVelocityEvents(r, user, times(2 * n), n),
        kind === 'nearmiss' ? `exactly ${n} purchases` : undefined,
      );
    }
    for (const kind of kinds('high_value')) {
      const amounts = highValueAmounts(
        th.highValue,
        Math.max(1, Math.min(3, th.purchaseVelocity)),
        kind === 'fraud',
      );
      lightCase(
        'high_value',
        kind,
        (r, times, user) => this.highValueEvents(r, user, times(2 * amounts.length), amounts),
        kind === 'nearmiss' ? `purchases summing to exactly ${th.highValue}` : undefined,
      );
    }
    for (const kind of kinds('geo_velocity')) {
      const n = th.geoVelocity + (kind === 'fraud' ? 1 : 0);
      lightCase(
        'geo_velocity',
        kind,
        (r, times, user) => this.geoEvents(r, user, times(2 * n), n),
        kind === 'nearmiss' ? `exactly ${n} countries` : undefined,
      );
    }

    if (fraud.has('outlier_activity')) {
      const byPeriod = new Map<number, number[]>();
      for (const m of light) {
        const p = alignDown(m, th.outlierWindowMs);
        byPeriod.set(p, [...(byPeriod.get(p) ?? []), m]);
      }
      let best: [number, number[]] | undefined;
      for (const entry of byPeriod) if (!best || entry[1].length > best[1].length) best = entry;
      need('outlier_activity', best !== undefined, 'the stream needs free whole minutes');
      placement.outlier = { periodStart: best![0], minutes: best![1] };
    }
    return placement;
  }

  private outlierJob(user: string, periodStart: number, minutes: number[], x: number): Job {
    const r = new Rng(hash32(this.cfg.seed, TAG.job, 1000));
    const ctx = this.userContext(r, user, COUNTRIES[0], USER_AGENTS[0]);
    const times: number[] = [];
    const base = Math.floor(x / minutes.length);
    minutes.forEach((m, i) =>
      times.push(...spread(r, m, m + MINUTE, base + (i < x % minutes.length ? 1 : 0))),
    );
    const types: EventType[] = ['view', 'view', 'view', 'click', 'page_view', 'search'];
    return {
      user,
      pattern: 'outlier_activity',
      kind: 'fraud',
      windowStart: periodStart,
      windowEnd: periodStart + this.cfg.th.outlierWindowMs,
      events: times.map((t) => this.browseEvent(r, ctx, t, r.pick(types))),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Injected event builders

  private userContext(r: Rng, user: string, country: Country, ua: string): InjectedContext {
    return {
      user,
      country: country.code,
      ip: ipIn(country, this.cfg.seed, hash32(...[...user].map((c) => c.charCodeAt(0)))),
      ua,
      session: uuidFrom(this.cfg.seed, TAG.session, r.uint32()),
    };
  }

  private botContext(r: Rng, user: string, countryCode: string): InjectedContext {
    const country = COUNTRIES.find((c) => c.code === countryCode) ?? COUNTRIES[0];
    return { ...this.userContext(r, user, country, BOT_USER_AGENT) };
  }

  private browseEvent(r: Rng, ctx: InjectedContext, t: number, type: EventType): InjectedEvent {
    const product = pickProduct(r);
    const withProduct = type === 'view' || type === 'click';
    const term = product.category.terms[0];
    return {
      t,
      user: ctx.user,
      type,
      ip: ctx.ip,
      country: ctx.country,
      ua: ctx.ua,
      session: ctx.session,
      ...(withProduct ? { product, price: product.price } : {}),
      page: withProduct
        ? productUrl(product)
        : type === 'search'
          ? searchUrl(term)
          : categoryUrl(product),
      ...(type === 'search' ? { query: term } : {}),
    };
  }

  private ipHoppingEvents(r: Rng, user: string, times: number[], ips: number): InjectedEvent[] {
    const country = COUNTRIES[0];
    const ctx = this.userContext(r, user, country, USER_AGENTS[0]);
    const addresses = distinctIps(country, this.cfg.seed, user, ips);
    // Two repeats of the first address, then each address once: the last event brings the last new one.
    const order = [addresses[0], addresses[0], ...addresses.slice(0, ips)];
    return times.map((t, i) => ({ ...this.browseEvent(r, ctx, t, 'view'), ip: order[i] }));
  }

  private purchaseVelocityEvents(
    r: Rng,
    user: string,
    times: number[],
    n: number,
  ): InjectedEvent[] {
    const ctx = this.userContext(r, user, COUNTRIES[1], USER_AGENTS[1]);
    // Cheap items, so n purchases stay far below high_value.
    const maxPrice = Math.min(60, this.cfg.th.highValue / (2 * n + 2));
    const cheap = cheapProducts(maxPrice);
    const out: InjectedEvent[] = [];
    for (let i = 0; i < n; i++) {
      const product = cheap.length ? r.pick(cheap) : pickProduct(r);
      const price = cheap.length ? product.price : Math.floor(maxPrice * 100) / 100;
      out.push({
        ...this.browseEvent(r, ctx, times[2 * i], 'view'),
        product,
        price,
        page: productUrl(product),
      });
      out.push(this.purchase(ctx, times[2 * i + 1], product, price, 1));
    }
    return out;
  }

  private highValueEvents(
    r: Rng,
    user: string,
    times: number[],
    amounts: Array<{ price: number; quantity: number }>,
  ): InjectedEvent[] {
    const ctx = this.userContext(r, user, COUNTRIES[2], USER_AGENTS[1]);
    const expensive = getCatalogue().products.filter((p) => p.price > 1000);
    const out: InjectedEvent[] = [];
    amounts.forEach(({ price, quantity }, i) => {
      const product = r.pick(expensive);
      out.push({
        ...this.browseEvent(r, ctx, times[2 * i], 'view'),
        product,
        price,
        page: productUrl(product),
      });
      out.push(this.purchase(ctx, times[2 * i + 1], product, price, quantity));
    });
    return out;
  }

  private geoEvents(r: Rng, user: string, times: number[], n: number): InjectedEvent[] {
    const countries = COUNTRIES.slice(0, Math.max(n, 1));
    const session = uuidFrom(this.cfg.seed, TAG.session, r.uint32());
    const out: InjectedEvent[] = [];
    countries.slice(0, n).forEach((country, i) => {
      const ctx: InjectedContext = {
        user,
        country: country.code,
        ip: ipIn(country, this.cfg.seed, 7_000 + i),
        ua: USER_AGENTS[2],
        session,
      };
      out.push(this.browseEvent(r, ctx, times[2 * i], 'page_view'));
      out.push(this.browseEvent(r, ctx, times[2 * i + 1], 'view'));
    });
    return out;
  }

  private purchase(
    ctx: InjectedContext,
    t: number,
    product: Product,
    price: number,
    quantity: number,
  ): InjectedEvent {
    return {
      t,
      user: ctx.user,
      type: 'purchase',
      ip: ctx.ip,
      country: ctx.country,
      ua: ctx.ua,
      session: ctx.session,
      product,
      price,
      quantity,
      page: `${SHOP_ORIGIN}/checkout/complete`,
      referrer: `${SHOP_ORIGIN}/checkout`,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Emission

  private *ordered(run: Run): Generator<Timed, void, undefined> {
    const cfg = this.cfg;
    for (let p = 0; p < this.periods.length; p++) {
      const plan = this.planPeriod(p);
      const heap = new CursorHeap();
      for (let i = 0; i < plan.users.length; i++) {
        if (plan.counts[i] > 0) heap.push(new NormalCursor(this, run, plan, i));
      }
      const injected = this.injectedByPeriod.get(p);
      if (injected?.length) heap.push(new InjectedCursor(this, injected));
      const spike = this.placement.spike;
      if (spike && this.spikeIn(plan.span) && plan.users.length > 0)
        heap.push(new SpikeCursor(this, run, spike, plan));
      while (heap.size > 0) {
        const cursor = heap.top();
        const t = cursor.t;
        const id = `gen-${cfg.seed}-${run.emitted}`;
        run.emitted++;
        run.oracle.add(t);
        yield { t, event: cursor.build(id, formatEventTime(t)) };
        if (cursor.advance()) heap.replaceTop();
        else heap.pop();
      }
    }
  }

  /** @internal Event of a normal user at time t (updates the user's state). */
  normalEvent(
    run: Run,
    userIndex: number,
    periodStart: number,
    t: number,
    id: string,
    time: string,
  ): ClickEventInput {
    const cfg = this.cfg;
    const st = run.user(userIndex, () => this.newUserState(userIndex));
    const r = st.rng;
    const net =
      st.alt && hash32(cfg.seed, TAG.alt, userIndex, periodStart) % 100 < 30 ? st.alt : st.home;
    const newVisit = t - st.lastT >= CLIENT_SESSION_GAP_MS;
    if (newVisit) {
      st.sessionSeq++;
      st.sessionId = uuidFrom(cfg.seed, TAG.session, userIndex, st.sessionSeq);
      st.pending = 'none';
      st.lastPage = undefined;
    }
    st.lastT = t;

    let type: EventType | undefined;
    let product: Product | undefined;
    let quantity: number | undefined;
    const f = cfg.funnel;
    if (newVisit) {
      const x = r.next();
      type = x < 0.6 ? 'page_view' : x < 0.75 ? 'search' : 'view';
    } else if (st.pending === 'checked_out' && st.item) {
      const item = st.item;
      if (r.next() < f.purchase && this.canPurchase(st, t, item.product.price * item.quantity)) {
        type = 'purchase';
        product = item.product;
        quantity = item.quantity;
      }
    } else if (st.pending === 'carted' && st.item) {
      const x = r.next();
      if (x < f.checkout) type = 'checkout';
      else if (x < f.checkout + f.remove) type = 'remove_from_cart';
      if (type) {
        product = st.item.product;
        quantity = st.item.quantity;
      }
    } else if (st.pending === 'viewed' && st.lastProduct && r.next() < f.cart) {
      type = 'cart';
      product = st.lastProduct;
      const q = r.next();
      quantity = q < 0.85 ? 1 : q < 0.97 ? 2 : 3;
    }
    if (!type) {
      const x = r.next();
      type = x < 0.56 ? 'view' : x < 0.72 ? 'click' : x < 0.86 ? 'page_view' : 'search';
    }

    let page: string;
    let query: string | undefined;
    switch (type) {
      case 'view':
        product =
          st.category !== undefined && r.next() < 0.6
            ? pickProduct(r, st.category)
            : pickProduct(r);
        st.category = product.category.index;
        st.lastProduct = product;
        st.pending = 'viewed';
        page = productUrl(product);
        break;
      case 'click':
        product = st.lastProduct ?? pickProduct(r);
        st.lastProduct = product;
        st.pending = 'none';
        page = productUrl(product);
        break;
      case 'page_view': {
        const seen = pickProduct(r);
        st.pending = 'none';
        if (r.next() < 0.3) page = `${SHOP_ORIGIN}/`;
        else {
          st.category = seen.category.index;
          page = categoryUrl(seen);
        }
        break;
      }
      case 'search': {
        const seen = pickProduct(r);
        st.category = seen.category.index;
        query = r.pick(seen.category.terms);
        st.pending = 'none';
        page = searchUrl(query);
        break;
      }
      case 'cart':
        st.item = { product: product!, quantity: quantity! };
        st.pending = 'carted';
        page = `${SHOP_ORIGIN}/cart`;
        break;
      case 'remove_from_cart':
        st.item = undefined;
        st.pending = 'none';
        page = `${SHOP_ORIGIN}/cart`;
        break;
      case 'checkout':
        st.pending = 'checked_out';
        page = `${SHOP_ORIGIN}/checkout`;
        break;
      default: // purchase
        st.item = undefined;
        st.pending = 'none';
        page = `${SHOP_ORIGIN}/checkout/complete`;
    }
    const referrer = newVisit ? r.pick(EXTERNAL_REFERRERS) : st.lastPage;
    st.lastPage = page;

    const e: ClickEventInput = {
      event_id: id,
      event_time: time,
      event_type: type,
      user_id: st.userId,
      session_id: st.sessionId,
    };
    if (product) {
      e.product_id = product.id;
      e.category_id = product.category.id;
      e.category_code = product.category.code;
      e.brand = product.brand;
      e.price = product.price;
      if (quantity !== undefined) e.quantity = quantity;
      e.currency = 'USD';
    }
    e.ip = net.ip;
    e.country = net.country;
    e.user_agent = net.ua;
    e.page_url = page;
    if (referrer) e.referrer = referrer;
    if (query) e.properties = { search_query: query };
    return e;
  }

  private canPurchase(st: UserState, t: number, amount: number): boolean {
    const w = alignDown(t, this.cfg.th.userWindowMs);
    if (st.purchaseWindow !== w) {
      st.purchaseWindow = w;
      st.purchases = 0;
      st.amount = 0;
    }
    if (st.purchases + 1 > this.cfg.purchaseCap || st.amount + amount > this.cfg.amountCap)
      return false;
    st.purchases++;
    st.amount += amount;
    return true;
  }

  private newUserState(u: number): UserState {
    const cfg = this.cfg;
    const r = new Rng(hash32(cfg.seed, TAG.profile, u));
    const country = COUNTRIES[r.weighted(COUNTRY_WEIGHTS)];
    const home = {
      ip: ipIn(country, cfg.seed, u, 1),
      country: country.code,
      ua: r.pick(USER_AGENTS),
    };
    let alt: UserState['alt'];
    const hasAlt = r.next() < 0.25;
    const traveller = r.next() < 0.125;
    const otherCountry =
      COUNTRIES[(COUNTRIES.indexOf(country) + 1 + r.int(COUNTRIES.length - 1)) % COUNTRIES.length];
    if (hasAlt && cfg.th.ipHopping >= 2) {
      const altCountry = traveller && cfg.th.geoVelocity >= 2 ? otherCountry : country;
      alt = {
        ip: ipIn(altCountry, cfg.seed, u, 2),
        country: altCountry.code,
        ua: r.pick(MOBILE_USER_AGENTS),
      };
    }
    return {
      userId: normalUser(u),
      rng: new Rng(hash32(cfg.seed, TAG.content, u)),
      home,
      alt,
      lastT: -Infinity,
      sessionSeq: 0,
      sessionId: '',
      pending: 'none',
      purchaseWindow: -1,
      purchases: 0,
      amount: 0,
    };
  }

  /** @internal */
  injectedEvent(e: InjectedEvent, id: string, time: string): ClickEventInput {
    const out: ClickEventInput = {
      event_id: id,
      event_time: time,
      event_type: e.type,
      user_id: e.user,
      session_id: e.session,
    };
    if (e.product) {
      out.product_id = e.product.id;
      out.category_id = e.product.category.id;
      out.category_code = e.product.category.code;
      out.brand = e.product.brand;
      out.price = e.price ?? e.product.price;
      if (e.quantity !== undefined) out.quantity = e.quantity;
      out.currency = 'USD';
    }
    out.ip = e.ip;
    out.country = e.country;
    out.user_agent = e.ua;
    out.page_url = e.page;
    if (e.referrer) out.referrer = e.referrer;
    if (e.query) out.properties = { search_query: e.query };
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Emission helpers

interface Timed {
  t: number;
  event: ClickEventInput;
}

interface InjectedContext {
  user: string;
  country: string;
  ip: string;
  ua: string;
  session: string;
}

interface UserState {
  userId: string;
  rng: Rng;
  home: { ip: string; country: string; ua: string };
  alt?: { ip: string; country: string; ua: string };
  lastT: number;
  sessionSeq: number;
  sessionId: string;
  lastPage?: string;
  lastProduct?: Product;
  category?: number;
  item?: { product: Product; quantity: number };
  pending: 'none' | 'viewed' | 'carted' | 'checked_out';
  purchaseWindow: number;
  purchases: number;
  amount: number;
}

/** Mutable state of one pass over the stream. */
class Run {
  readonly oracle: GlobalMinuteRules;
  emitted = 0;
  private readonly users = new Map<number, UserState>();

  constructor(cfg: ResolvedConfig) {
    this.oracle = new GlobalMinuteRules(cfg.th);
  }

  user(u: number, create: () => UserState): UserState {
    let st = this.users.get(u);
    if (!st) this.users.set(u, (st = create()));
    return st;
  }
}

interface Cursor {
  t: number;
  order: number;
  build(id: string, time: string): ClickEventInput;
  advance(): boolean;
}

/** One active normal user's events in a period, generated lazily in time order. */
class NormalCursor implements Cursor {
  t = 0;
  readonly order: number;
  private readonly rng = new Rng(0);
  private readonly userIndex: number;
  private readonly b: number;
  private readonly o: number;
  private readonly layout: Layout;
  private k = 0;
  private c = 0;
  private phaseA: boolean;

  constructor(
    private readonly gen: TrafficGenerator,
    private readonly run: Run,
    private readonly plan: PeriodPlan,
    i: number,
  ) {
    this.order = i;
    this.userIndex = plan.users[i];
    this.b = plan.counts[i];
    this.o = plan.offsets[i];
    const cfg = gen.config;
    this.gapMin = cfg.gapMinV;
    this.layout = layoutUser(
      this.b,
      plan.V,
      this.o,
      cfg.gapMinV,
      hash32(cfg.seed, TAG.layout, plan.span.start, this.userIndex),
    );
    this.phaseA = this.layout.j0 < this.b;
    if (this.phaseA) {
      this.k = this.layout.j0;
      this.c = this.layout.cJ0;
      this.rng.state = this.layout.stateJ0;
    } else {
      this.rng.state = this.layout.state0;
    }
    this.setTime();
  }

  private readonly gapMin: number;

  build(id: string, time: string): ClickEventInput {
    return this.gen.normalEvent(this.run, this.userIndex, this.plan.span.start, this.t, id, time);
  }

  advance(): boolean {
    if (this.phaseA) {
      if (this.k < this.b - 1) {
        this.c += this.gap(this.k);
        this.k++;
      } else if (this.layout.j0 > 0) {
        this.phaseA = false;
        this.rng.state = this.layout.state0;
        this.k = 0;
        this.c = 0;
      } else return false;
    } else {
      if (this.k + 1 >= this.layout.j0) return false;
      this.c += this.gap(this.k);
      this.k++;
    }
    this.setTime();
    return true;
  }

  private gap(k: number): number {
    const l = this.layout;
    if (l.twoVisits && k === l.split - 1) return l.G;
    return this.gapMin + (drawGap(this.rng, this.gapMin) - this.gapMin) * l.f;
  }

  private setTime(): void {
    const v = this.phaseA ? this.o + this.c - this.plan.V : this.o + this.c;
    this.t = virtualToReal(this.plan.segments, v);
  }
}

class InjectedCursor implements Cursor {
  t: number;
  readonly order = -1;
  private i = 0;

  constructor(
    private readonly gen: TrafficGenerator,
    private readonly events: InjectedEvent[],
  ) {
    this.t = events[0].t;
  }

  build(id: string, time: string): ClickEventInput {
    return this.gen.injectedEvent(this.events[this.i], id, time);
  }

  advance(): boolean {
    if (++this.i >= this.events.length) return false;
    this.t = this.events[this.i].t;
    return true;
  }
}

/**
 * The spike minute's extra events, evenly spread over the minute, given round-robin to the period's
 * active normal users (event j to user j mod M), so each gets at most `perUser`, ≥ 60 s / perUser apart.
 */
class SpikeCursor implements Cursor {
  t: number;
  readonly order = -2;
  private j = 0;

  constructor(
    private readonly gen: TrafficGenerator,
    private readonly run: Run,
    private readonly spike: SpikePlan,
    private readonly plan: PeriodPlan,
  ) {
    this.t = this.timeOf(0);
  }

  private timeOf(j: number): number {
    return this.spike.minute + Math.floor(((j + 0.5) * MINUTE) / this.spike.extra);
  }

  build(id: string, time: string): ClickEventInput {
    const user = this.plan.users[this.j % this.plan.users.length];
    return this.gen.normalEvent(this.run, user, this.plan.span.start, this.t, id, time);
  }

  advance(): boolean {
    if (++this.j >= this.spike.extra) return false;
    this.t = this.timeOf(this.j);
    return true;
  }
}

/** Min-heap of cursors by (t, order). */
class CursorHeap {
  private readonly items: Cursor[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): Cursor {
    return this.items[0];
  }

  push(c: Cursor): void {
    const a = this.items;
    a.push(c);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    this.replaceTop();
  }

  /** Restores order after the top's key grew. */
  replaceTop(): void {
    const a = this.items;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) return;
      const r = l + 1;
      const m = r < a.length && less(a[r], a[l]) ? r : l;
      if (!less(a[m], a[i])) return;
      [a[i], a[m]] = [a[m], a[i]];
      i = m;
    }
  }
}

function less(a: Cursor, b: Cursor): boolean {
  return a.t < b.t || (a.t === b.t && a.order < b.order);
}

/**
 * Bounded shuffle: each event gets a key t + U[0, maxDelayMs] and events leave in key order. An
 * event is therefore never more than maxDelayMs of event time behind the latest one before it.
 */
function* shuffleBounded(
  source: Iterable<Timed>,
  maxDelayMs: number,
  seed: number,
): Generator<ClickEventInput, void, undefined> {
  const rng = new Rng(seed);
  const heap: Array<{ key: number; seq: number; event: ClickEventInput }> = [];
  const lessK = (a: (typeof heap)[number], b: (typeof heap)[number]) =>
    a.key < b.key || (a.key === b.key && a.seq < b.seq);
  const push = (item: (typeof heap)[number]) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!lessK(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const m = r < heap.length && lessK(heap[r], heap[l]) ? r : l;
        if (!lessK(heap[m], heap[i])) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  let seq = 0;
  for (const { t, event } of source) {
    while (heap.length > 0 && heap[0].key <= t) yield pop().event;
    push({ key: t + Math.floor(rng.next() * (maxDelayMs + 1)), seq: seq++, event });
  }
  while (heap.length > 0) yield pop().event;
}

// ---------------------------------------------------------------------------------------------
// Layout of one user's events in a period

interface Layout {
  twoVisits: boolean;
  split: number;
  G: number;
  f: number;
  state0: number;
  j0: number;
  stateJ0: number;
  cJ0: number;
}

let scratchGaps = new Float64Array(1024);
let scratchStates = new Uint32Array(1024);

function drawGap(r: Rng, gapMin: number): number {
  return Math.max(
    gapMin,
    Math.min(Math.max(GAP_MAX_S, gapMin), r.logNormal(GAP_MEDIAN_S, GAP_SIGMA)),
  );
}

/**
 * b events as one or two visits on a circle of length V (virtual seconds), starting at offset o:
 * gaps ≥ gapMin everywhere, including across the wrap. Intra-visit gaps are compressed when they
 * would not fit. Returns where the time-ordered sequence starts (j0: the first event past the wrap).
 */
function layoutUser(b: number, V: number, o: number, gapMin: number, seed: number): Layout {
  const r = new Rng(seed);
  let twoVisits = b >= 4 && r.next() < TWO_VISIT_P;
  const split = 1 + r.int(Math.max(1, b - 1));
  const G = r.next() < UNDER_30_MIN_P ? r.range(20 * 60, 29.5 * 60) : r.range(30.5 * 60, 50 * 60);
  if (twoVisits && G + b * gapMin > V) twoVisits = false;
  const state0 = r.state;
  if (scratchGaps.length < b) {
    scratchGaps = new Float64Array(b * 2);
    scratchStates = new Uint32Array(b * 2);
  }
  let raw = 0;
  let nIntra = 0;
  for (let k = 0; k < b - 1; k++) {
    scratchStates[k] = r.state;
    if (twoVisits && k === split - 1) {
      scratchGaps[k] = -1;
      continue;
    }
    const g = drawGap(r, gapMin);
    scratchGaps[k] = g;
    raw += g;
    nIntra++;
  }
  scratchStates[Math.max(0, b - 1)] = r.state;
  const budget = V - gapMin - (twoVisits ? G : 0);
  const slack = raw - nIntra * gapMin;
  const f = slack > 0 ? Math.min(1, Math.max(0, (budget - nIntra * gapMin) / slack)) : 1;
  let c = 0;
  let j0 = b;
  let cJ0 = 0;
  for (let k = 0; k < b; k++) {
    if (o + c >= V) {
      j0 = k;
      cJ0 = c;
      break;
    }
    if (k < b - 1) c += scratchGaps[k] < 0 ? G : gapMin + (scratchGaps[k] - gapMin) * f;
  }
  return { twoVisits, split, G, f, state0, j0, stateJ0: j0 < b ? scratchStates[j0] : state0, cJ0 };
}

function virtualToReal(segments: Segment[], v: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid].vStart <= v) lo = mid;
    else hi = mid - 1;
  }
  const s = segments[lo];
  const t = Math.floor(s.realStart + ((v - s.vStart) / s.weight) * 1000);
  return Math.min(s.realEnd - 1, Math.max(s.realStart, t));
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers

function periodsOf(start: number, end: number, P: number): PeriodSpan[] {
  const out: PeriodSpan[] = [];
  for (let p = alignDown(start, P); p < end; p += P) {
    out.push({ start: p, spanStart: Math.max(p, start), spanEnd: Math.min(p + P, end) });
  }
  return out;
}

/** Splits `total` over the periods in proportion to their span (largest remainder). */
function allocate(total: number, periods: PeriodSpan[]): number[] {
  const lengths = periods.map((p) => p.spanEnd - p.spanStart);
  const sum = lengths.reduce((a, b) => a + b, 0);
  const exact = lengths.map((l) => (total * l) / sum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    out[i]++;
    rest--;
  }
  return out;
}

/** M counts in 1..cap, spread evenly over 1..K, summing to exactly E (E >= M). Ascending-ish. */
function stratifiedCounts(E: number, M: number, cap: number): Int32Array {
  const v = new Int32Array(M);
  if (M === 0) return v;
  const K = Math.min(cap, Math.max(1, (2 * E) / M - 1));
  let sum = 0;
  for (let i = 0; i < M; i++) {
    v[i] = Math.min(cap, Math.max(1, Math.round(1 + ((K - 1) * (i + 0.5)) / M)));
    sum += v[i];
  }
  let diff = E - sum;
  // Add to the small counts first, take from the large ones first: the spread stays uniform.
  while (diff !== 0) {
    let changed = false;
    if (diff > 0) {
      for (let i = 0; i < M && diff > 0; i++) {
        if (v[i] < cap) {
          v[i]++;
          diff--;
          changed = true;
        }
      }
    } else {
      for (let i = M - 1; i >= 0 && diff < 0; i--) {
        if (v[i] > 1) {
          v[i]--;
          diff++;
          changed = true;
        }
      }
    }
    if (!changed) throw new Error(`cannot spread ${E} events over ${M} users of at most ${cap}`);
  }
  return v;
}

/** M distinct users of 0..N−1 in random order. */
function sampleUsers(rng: Rng, N: number, M: number): Int32Array {
  if (M === 0) return new Int32Array(0);
  if (M * 4 < N) {
    const chosen = new Set<number>();
    const out = new Int32Array(M);
    let i = 0;
    while (i < M) {
      const u = rng.int(N);
      if (!chosen.has(u)) {
        chosen.add(u);
        out[i++] = u;
      }
    }
    return out;
  }
  const all = new Int32Array(N);
  for (let i = 0; i < N; i++) all[i] = i;
  for (let i = 0; i < M; i++) {
    const j = i + rng.int(N - i);
    const tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
  }
  return all.slice(0, M);
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

/** n times spread evenly with jitter over [from, to), strictly increasing. */
function spread(r: Rng, from: number, to: number, n: number): number[] {
  const out: number[] = [];
  const step = (to - from) / n;
  for (let j = 0; j < n; j++) out.push(Math.floor(from + (j + 0.15 + 0.7 * r.next()) * step));
  return out;
}

/** n times over the given whole minutes (round-robin quotas), increasing. */
function spreadOver(r: Rng, minutes: number[], n: number): number[] {
  const out: number[] = [];
  minutes.forEach((m, i) => {
    const q = Math.floor(n / minutes.length) + (i < n % minutes.length ? 1 : 0);
    if (q > 0) out.push(...spread(r, m + 1000, m + MINUTE - 1000, q));
  });
  return out;
}

function distinctIps(country: Country, seed: number, user: string, n: number): string[] {
  const base = hash32(...[...user].map((c) => c.charCodeAt(0)));
  const out = new Set<string>();
  for (let i = 0; out.size < n; i++) out.add(ipIn(country, seed, base, 100 + i));
  return [...out];
}

/**
 * Purchase amounts for high_value: `n` purchases summing to exactly `threshold` (near miss) or a
 * little over it (fraud). Whole-number prices where possible, so Σ price × quantity is exact in
 * floating point in any order; the last item is bought twice when its amount is even.
 */
function highValueAmounts(
  threshold: number,
  n: number,
  over: boolean,
): Array<{ price: number; quantity: number }> {
  const weights = [0.4, 0.35, 0.25].slice(0, n);
  const total = weights.reduce((a, b) => a + b, 0);
  const parts = weights.map((w) => Math.floor((threshold * w) / total));
  parts[n - 1] = threshold - parts.slice(0, n - 1).reduce((a, b) => a + b, 0);
  if (over) parts[0] += Math.max(1, Math.ceil(threshold * 0.05));
  return parts.map((amount, i) =>
    i === n - 1 && n > 1 && Number.isInteger(amount / 2) && amount > 0
      ? { price: amount / 2, quantity: 2 }
      : { price: amount, quantity: 1 },
  );
}

function injectedSize(p: Placement): number {
  return p.jobs.reduce((a, j) => a + j.events.length, 0) + (p.spike?.extra ?? 0);
}

export function normalUser(u: number): string {
  return `user-${u + 1}`;
}

function productUrl(p: Product): string {
  return `${SHOP_ORIGIN}/p/${p.id}`;
}

function categoryUrl(p: Product): string {
  return `${SHOP_ORIGIN}/c/${p.category.code.replace(/\./g, '/')}`;
}

function searchUrl(term: string): string {
  return `${SHOP_ORIGIN}/search?q=${encodeURIComponent(term)}`;
}

function iso(t: number): string {
  return formatEventTime(t);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function byWindow(a: ExpectedAlert, b: ExpectedAlert): number {
  return (
    (a.window_start < b.window_start ? -1 : a.window_start > b.window_start ? 1 : 0) ||
    (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
    ((a.user_id ?? '') < (b.user_id ?? '') ? -1 : (a.user_id ?? '') > (b.user_id ?? '') ? 1 : 0)
  );
}
