/**
 * The generator's options: what callers pass (TrafficOptions), their validation (every problem is a
 * GeneratorOptionsError naming the option), and the resolved configuration with the derived caps
 * that keep normal users below the per-user thresholds.
 */
import { MAX_EVENT_TIME_MS } from '@clickstream/contracts';
import { MINUTE, NORMAL_SHARE } from './generator-constants';
import { DEFAULT_THRESHOLDS, FRAUD_PATTERNS, FraudPattern, FraudThresholds } from './rules';

const DROP_WEIGHT = 0.05;

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

export interface ResolvedConfig {
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

/** Validates the options (in a fixed order, so the first problem is reported) and resolves them. */
export function resolveOptions(opts: TrafficOptions): ResolvedConfig {
  const { rate, durationMs } = resolveStreamSize(opts);
  const users = opts.users ?? Math.max(50, Math.ceil(rate * 300));
  if (!Number.isSafeInteger(users) || users < 1 || users > 50_000_000)
    fail('users', 'must be an integer from 1 to 50,000,000', users);
  const disorderMs = opts.disorderMs ?? 0;
  if (!Number.isSafeInteger(disorderMs) || disorderMs < 0)
    fail('disorderMs', 'must be an integer >= 0', disorderMs);
  const fraud = resolveFraud(opts.fraud ?? []);
  const th = resolveThresholds(opts.thresholds ?? {});
  const funnel = resolveFunnel(opts.funnel ?? {});
  return {
    seed: opts.seed,
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
    ...normalUserCaps(th, opts.bursts !== false),
  };
}

/** Seed, start, rate, and exactly one of duration and count. */
function resolveStreamSize(opts: TrafficOptions): { rate: number; durationMs?: number } {
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
    const seconds = opts.durationSeconds as number;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0)
      fail('durationSeconds', 'must be a number > 0', seconds);
    durationMs = Math.round(seconds * 1000);
    if (durationMs < 1) fail('durationSeconds', 'must be at least 1 ms', seconds);
  }
  if (hasCount && (!Number.isSafeInteger(opts.count) || (opts.count as number) < 1)) {
    fail('count', 'must be an integer >= 1', opts.count);
  }
  return { rate, durationMs };
}

/** The listed patterns, checked, without duplicates, in the order given. */
function resolveFraud(patterns: readonly FraudPattern[]): FraudPattern[] {
  const fraud: FraudPattern[] = [];
  for (const pattern of patterns) {
    if (!(FRAUD_PATTERNS as readonly string[]).includes(pattern))
      fail('fraud', `must list patterns from ${FRAUD_PATTERNS.join(', ')}`, pattern);
    if (!fraud.includes(pattern)) fraud.push(pattern);
  }
  return fraud;
}

function resolveFunnel(overrides: Partial<FunnelOptions>): FunnelOptions {
  const funnel = { ...DEFAULT_FUNNEL, ...overrides };
  for (const [key, value] of Object.entries(funnel)) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1))
      fail(`funnel.${key}`, 'must be a probability from 0 to 1', value);
  }
  if (funnel.checkout + funnel.remove > 1)
    fail('funnel.remove', 'checkout + remove must be at most 1', funnel.remove);
  return funnel;
}

/** The caps that keep normal users below the per-user thresholds (see traffic-generator.ts). */
function normalUserCaps(
  th: FraudThresholds,
  bursts: boolean,
): Pick<
  ResolvedConfig,
  'burstWeight' | 'dropWeight' | 'gapMinV' | 'perMinuteCap' | 'purchaseCap' | 'amountCap'
> {
  const burstWeight = !bursts ? 1 : Math.min(1.6, 1 + 0.4 * (th.spikeFactor - 1));
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
    const value = th[key];
    if (value < min || (integer && !Number.isInteger(value)))
      fail(`thresholds.${key}`, `must be ${integer ? 'an integer' : 'a number'} >= ${min}`, value);
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

export function fail(option: string, rule: string, value: unknown): never {
  throw new GeneratorOptionsError(
    option,
    `${option} ${rule} (got ${JSON.stringify(value) ?? String(value)})`,
  );
}
