import { ClickEvent, FraudAlert } from '@clickstream/contracts';
import { FraudConfig, RuleConfig } from '../rules/rule-config';
import {
  stepUserRule,
  USER_RULE_SPECS,
  USER_RULES,
  UserRuleName,
  userWindow,
  UserWindowState,
} from '../rules/user-rules';
import { forwardAlert, ruleNode } from './rule-node';

export const USER_RULES_NODE = 'fraud-user-rules';
export const USER_RULES_STORE = 'fraud-user-rules-store';

/** Store key of one (rule, user, window). */
export const userRuleKey = (rule: UserRuleName, user: string, windowStart: number) =>
  `${rule}|${user}|${windowStart}`;

/**
 * Runs the enabled per-user rules on every event (ClickEvent values, event time = event_time) and
 * forwards each alert (key user_id) as soon as a threshold is crossed. A window's state is deleted
 * once the partition's watermark reaches its end: no event of it can be accepted after that.
 *
 * The config is read per event, so a runtime change applies from the next event: a new threshold
 * judges the open windows' counts so far, and a new window size starts new windows (a stored
 * window of the old size is not continued, even where the starts coincide).
 */
export const userRulesNode = ruleNode<UserWindowState>(
  USER_RULES_NODE,
  USER_RULES_STORE,
  (ctx, store, current, hooks) => {
    const index = new WindowEndIndex();
    for (const [key, state] of store.entries()) index.add(state.end, key);

    let seen: FraudConfig | undefined;
    let enabled: UserRuleName[] = [];

    return {
      process(rec) {
        const event = rec.value as ClickEvent;
        const now = ctx.now();
        const cfg = current();
        if (cfg !== seen) {
          seen = cfg;
          enabled = USER_RULES.filter((rule) => cfg.rules[rule].enabled);
        }
        for (const rule of enabled) {
          const alert = evaluate(rule, cfg.rules[rule], event, rec.timestamp, now);
          if (alert) forwardAlert(ctx, hooks, alert, event.user_id, observedAt(event));
        }
      },
      onWatermark(watermark) {
        for (const key of index.takeUpTo(watermark)) {
          // The key may hold a newer window of another size (a runtime change): it stays.
          const state = store.get(key);
          if (state && state.end > watermark) continue;
          store.delete(key);
        }
      },
    };

    function evaluate(
      rule: UserRuleName,
      ruleCfg: RuleConfig,
      event: ClickEvent,
      timestamp: number,
      now: number,
    ): FraudAlert | undefined {
      hooks.onEvaluate?.(rule);
      const spec = USER_RULE_SPECS[rule];
      if (!spec.counts(event)) return undefined;
      const window = userWindow(ruleCfg, timestamp);
      const key = userRuleKey(rule, event.user_id, window.start);
      const stored = store.get(key);
      const result = stepUserRule(
        spec,
        ruleCfg,
        stored && stored.end === window.end ? stored : undefined,
        event,
        now,
        timestamp,
      );
      if (!result.changed) return result.alert;
      store.put(key, result.state);
      index.add(result.state.end, key);
      return result.alert;
    }
  },
);

/** When the event entered the system: received_at, or its event time when it has none. */
function observedAt(event: ClickEvent): number {
  return event.received_at ? Date.parse(event.received_at) : Date.parse(event.event_time);
}

/**
 * Store keys by window end, so closing windows touches only what closes. Open window ends are few
 * (the windows within the allowed lateness), so a sorted scan of them is cheap.
 */
export class WindowEndIndex {
  private readonly byEnd = new Map<number, Set<string>>();

  add(end: number, key: string): void {
    const keys = this.byEnd.get(end);
    if (keys) keys.add(key);
    else this.byEnd.set(end, new Set([key]));
  }

  /** Removes and returns (in a stable order) the keys of every window with end <= watermark. */
  takeUpTo(watermark: number): string[] {
    const ends = [...this.byEnd.keys()].filter((end) => end <= watermark).sort((a, b) => a - b);
    const out: string[] = [];
    for (const end of ends) {
      out.push(...[...this.byEnd.get(end)!].sort());
      this.byEnd.delete(end);
    }
    return out;
  }
}
