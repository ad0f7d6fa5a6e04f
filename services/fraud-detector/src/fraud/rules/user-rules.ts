import { ClickEvent, FraudAlert, purchaseCents } from '@clickstream/contracts';
import { alignDown, BinaryCodec, ByteReader, ByteWriter } from '@clickstream/streams';
import { buildAlert } from './build-alert';
import { RuleConfig } from './rule-config';

/**
 * The per-user rules of SPEC §7 as pure functions `(state, event, cfg, now) => {state, alert?}`
 * over one (rule, user, tumbling window aligned to the UTC epoch).
 *
 * - Thresholds are strict (metric > threshold) and a rule fires on the event that crosses it, not at
 *   window close; the state remembers that it fired, so each (rule, user, window) alerts once.
 * - Every metric only grows as events are added (counts, distinct counts, sums of amounts >= 0), so
 *   whether a window fires depends only on the set of its events, not on their order: out-of-order
 *   input within the allowed lateness gives the same alert_ids as in-order input.
 * - `value` is the metric over the window's events processed so far (arrival order) including the
 *   one that crossed the threshold. For the counting rules that is always floor(threshold) + 1 in
 *   any order; for high_value it is the sum at crossing, which can differ with the arrival order.
 *   Evidence likewise describes the events seen up to firing. Once fired, a window stops
 *   accumulating: nothing after the alert can change it.
 */

export const USER_RULES = [
  'click_flood',
  'ip_hopping',
  'purchase_velocity',
  'high_value',
  'geo_velocity',
] as const;
export type UserRuleName = (typeof USER_RULES)[number];

/**
 * What a rule keeps of one of a user's windows (the user is the store key's). JSON-serialisable;
 * never mutated (a new object per change).
 */
export interface UserWindowState<A = unknown> {
  rule: UserRuleName;
  start: number;
  end: number;
  acc: A;
  fired: boolean;
}

export interface UserRuleResult<A = unknown> {
  state: UserWindowState<A>;
  /** False when the event left the state as it was (no store write needed). */
  changed: boolean;
  alert?: FraudAlert;
}

/** How one rule measures a window. `add` returns undefined when the event does not count. */
export interface UserRuleSpec<A> {
  rule: UserRuleName;
  /**
   * False when the event cannot count in any window (add would return undefined): the node then
   * skips the window's lookup. Most events are not purchases, and two rules count only those.
   */
  counts(event: ClickEvent): boolean;
  initial(): A;
  add(acc: A, event: ClickEvent): A | undefined;
  metric(acc: A): number;
  evidence(acc: A): Record<string, unknown>;
  /** The accumulator's part of the windows' byte layout (user-windows-bytes.ts). */
  codec: BinaryCodec<A>;
}

/** The rule's window containing `timestampMs`. */
export function userWindow(
  cfg: Pick<RuleConfig, 'windowMs'>,
  timestampMs: number,
): { start: number; end: number } {
  const start = alignDown(timestampMs, cfg.windowMs);
  return { start, end: start + cfg.windowMs };
}

export const eventTimeMs = (event: Pick<ClickEvent, 'event_time'>): number =>
  Date.parse(event.event_time);

/** Applies one event to one of its user's window states for the rule (undefined: the window is new). */
export function stepUserRule<A>(
  spec: UserRuleSpec<A>,
  cfg: RuleConfig,
  state: UserWindowState<A> | undefined,
  event: ClickEvent,
  now: number,
  /** The event's time, when the caller has it parsed already (the topology's record timestamp). */
  timestampMs: number = eventTimeMs(event),
): UserRuleResult<A> {
  const current = state ?? newWindow(spec, cfg, timestampMs);
  if (current.fired) return { state: current, changed: false };
  const acc = spec.add(current.acc, event);
  // An event the rule does not count leaves nothing to store, not even a new empty window.
  if (acc === undefined) return { state: current, changed: false };
  const metric = spec.metric(acc);
  const fires = metric > cfg.threshold;
  // A literal, not a spread: its fields stay in the object (a spread's went to a separate array).
  const next: UserWindowState<A> = {
    rule: spec.rule,
    start: current.start,
    end: current.end,
    acc,
    fired: fires,
  };
  if (!fires) return { state: next, changed: true };
  const alert = buildAlert({
    rule: spec.rule,
    severity: cfg.severity,
    userId: event.user_id,
    windowStart: current.start,
    windowEnd: current.end,
    value: metric,
    threshold: cfg.threshold,
    now,
    evidence: spec.evidence(acc),
  });
  return { state: next, changed: true, alert };
}

function newWindow<A>(
  spec: UserRuleSpec<A>,
  cfg: RuleConfig,
  timestampMs: number,
): UserWindowState<A> {
  const { start, end } = userWindow(cfg, timestampMs);
  return { rule: spec.rule, start, end, acc: spec.initial(), fired: false };
}

/** A sorted copy with `value` added, or undefined when it is already there (exact distinct sets). */
function withDistinct(values: readonly string[], value: string | undefined): string[] | undefined {
  if (value === undefined || value === '' || values.includes(value)) return undefined;
  return [...values, value].sort();
}

function writeStrings(out: ByteWriter, values: readonly string[]): void {
  out.uint(values.length);
  for (const value of values) out.string(value);
}

function readStrings(input: ByteReader): string[] {
  return Array.from({ length: input.uint() }, () => input.string());
}

// --- the five rules ---------------------------------------------------------------------------

export const clickFloodSpec: UserRuleSpec<{ events: number }> = {
  rule: 'click_flood',
  counts: () => true,
  initial: () => ({ events: 0 }),
  add: (acc) => ({ events: acc.events + 1 }),
  metric: (acc) => acc.events,
  evidence: (acc) => ({ events: acc.events }),
  codec: {
    write: (out, acc) => out.uint(acc.events),
    read: (input) => ({ events: input.uint() }),
  },
};

export const ipHoppingSpec: UserRuleSpec<{ ips: string[] }> = {
  rule: 'ip_hopping',
  counts: (e) => e.ip !== undefined && e.ip !== '',
  initial: () => ({ ips: [] }),
  add: (acc, e) => {
    const ips = withDistinct(acc.ips, e.ip);
    return ips && { ips };
  },
  metric: (acc) => acc.ips.length,
  evidence: (acc) => ({ distinct_ips: acc.ips.length, ips: acc.ips }),
  codec: {
    write: (out, acc) => writeStrings(out, acc.ips),
    read: (input) => ({ ips: readStrings(input) }),
  },
};

export const purchaseVelocitySpec: UserRuleSpec<{ purchases: number }> = {
  rule: 'purchase_velocity',
  counts: (e) => e.event_type === 'purchase',
  initial: () => ({ purchases: 0 }),
  add: (acc, e) => (e.event_type === 'purchase' ? { purchases: acc.purchases + 1 } : undefined),
  metric: (acc) => acc.purchases,
  evidence: (acc) => ({ purchases: acc.purchases }),
  codec: {
    write: (out, acc) => out.uint(acc.purchases),
    read: (input) => ({ purchases: input.uint() }),
  },
};

/** Amounts kept as evidence; the sum stays exact beyond it. Bounds the state of a bot's window. */
export const MAX_EVIDENCE_AMOUNTS = 100;

export const highValueSpec: UserRuleSpec<{ cents: number; purchases: number; amounts: number[] }> =
  {
    rule: 'high_value',
    counts: (e) => e.event_type === 'purchase' && purchaseCents(e) !== 0,
    initial: () => ({ cents: 0, purchases: 0, amounts: [] }),
    add: (acc, e) => {
      if (e.event_type !== 'purchase') return undefined;
      const cents = purchaseCents(e);
      // A purchase without a price counts as a purchase and adds nothing (SPEC §2).
      if (cents === 0) return undefined;
      const amounts =
        acc.amounts.length < MAX_EVIDENCE_AMOUNTS ? [...acc.amounts, cents / 100] : acc.amounts;
      return { cents: acc.cents + cents, purchases: acc.purchases + 1, amounts };
    },
    metric: (acc) => acc.cents / 100,
    evidence: (acc) => ({ total: acc.cents / 100, purchases: acc.purchases, amounts: acc.amounts }),
    codec: {
      write: (out, acc) => {
        // A 64-bit float, as JSON held it: the contract's prices and quantities can take a sum of
        // cents past 2^53, which no varint holds exactly (and then neither does the number).
        out.f64(acc.cents);
        out.uint(acc.purchases);
        out.uint(acc.amounts.length);
        for (const amount of acc.amounts) out.f64(amount);
      },
      read: (input) => {
        const cents = input.f64();
        const purchases = input.uint();
        const amounts = Array.from({ length: input.uint() }, () => input.f64());
        return { cents, purchases, amounts };
      },
    },
  };

export const geoVelocitySpec: UserRuleSpec<{ countries: string[] }> = {
  rule: 'geo_velocity',
  counts: (e) => e.country !== undefined && e.country !== null && e.country !== '',
  initial: () => ({ countries: [] }),
  add: (acc, e) => {
    const countries = withDistinct(acc.countries, e.country?.toUpperCase());
    return countries && { countries };
  },
  metric: (acc) => acc.countries.length,
  evidence: (acc) => ({ distinct_countries: acc.countries.length, countries: acc.countries }),
  codec: {
    write: (out, acc) => writeStrings(out, acc.countries),
    read: (input) => ({ countries: readStrings(input) }),
  },
};

/** Every per-user rule by name; the topology node runs the enabled ones. */
export const USER_RULE_SPECS: { [R in UserRuleName]: UserRuleSpec<unknown> } = {
  click_flood: clickFloodSpec as UserRuleSpec<unknown>,
  ip_hopping: ipHoppingSpec as UserRuleSpec<unknown>,
  purchase_velocity: purchaseVelocitySpec as UserRuleSpec<unknown>,
  high_value: highValueSpec as UserRuleSpec<unknown>,
  geo_velocity: geoVelocitySpec as UserRuleSpec<unknown>,
};

type Step<A> = (
  state: UserWindowState<A> | undefined,
  event: ClickEvent,
  cfg: RuleConfig,
  now: number,
) => UserRuleResult<A>;
const stepOf =
  <A>(spec: UserRuleSpec<A>): Step<A> =>
  (state, event, cfg, now) =>
    stepUserRule(spec, cfg, state, event, now);

/** click_flood: events > threshold per user and 1 min window. */
export const clickFlood = stepOf(clickFloodSpec);
/** ip_hopping: distinct ip > threshold per user and 10 min window. */
export const ipHopping = stepOf(ipHoppingSpec);
/** purchase_velocity: purchases > threshold per user and 10 min window. */
export const purchaseVelocity = stepOf(purchaseVelocitySpec);
/** high_value: Σ price × quantity of purchases > threshold per user and 10 min window. */
export const highValue = stepOf(highValueSpec);
/** geo_velocity: distinct country > threshold per user and 10 min window. */
export const geoVelocity = stepOf(geoVelocitySpec);
