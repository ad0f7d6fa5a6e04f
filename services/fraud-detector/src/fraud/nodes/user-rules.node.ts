import { ClickEvent, FraudAlert } from '@clickstream/contracts';
import { NodeDefinition, Rec } from '@clickstream/streams';
import { FraudConfig } from '../rules/rule-config';
import {
  stepUserRule,
  USER_RULE_SPECS,
  USER_RULES,
  UserRuleName,
  userWindow,
  UserWindowState,
} from '../rules/user-rules';
import { FraudHooks } from './fraud-hooks';

export const USER_RULES_NODE = 'fraud-user-rules';
export const USER_RULES_STORE = 'fraud-user-rules-store';

/** Store key of one (rule, user, window). */
export const userRuleKey = (rule: UserRuleName, user: string, windowStart: number) =>
  `${rule}|${user}|${windowStart}`;

/**
 * Runs the enabled per-user rules on every event (ClickEvent values, event time = event_time) and
 * forwards each alert (key user_id) as soon as a threshold is crossed. A window's state is deleted
 * once the partition's watermark reaches its end: no event of it can be accepted after that.
 */
export function userRulesNode(cfg: FraudConfig, hooks: FraudHooks = {}): NodeDefinition {
  const enabled = USER_RULES.filter((rule) => cfg.rules[rule].enabled);
  return {
    name: USER_RULES_NODE,
    stores: [USER_RULES_STORE],
    create(ctx) {
      const store = ctx.store<UserWindowState>(USER_RULES_STORE);
      const index = new WindowEndIndex();
      for (const [key, state] of store.entries()) index.add(state.end, key);

      return {
        process(rec) {
          const event = rec.value as ClickEvent;
          const now = ctx.now();
          for (const rule of enabled) {
            const alert = evaluate(rule, event, rec.timestamp, now);
            if (alert) forwardAlert(alert, event);
          }
        },
        onWatermark(watermark) {
          for (const key of index.takeUpTo(watermark)) store.delete(key);
        },
      };

      function evaluate(
        rule: UserRuleName,
        event: ClickEvent,
        timestamp: number,
        now: number,
      ): FraudAlert | undefined {
        hooks.onEvaluate?.(rule);
        const spec = USER_RULE_SPECS[rule];
        if (!spec.counts(event)) return undefined;
        const ruleCfg = cfg.rules[rule];
        const key = userRuleKey(rule, event.user_id, userWindow(ruleCfg, timestamp).start);
        const result = stepUserRule(spec, ruleCfg, store.get(key), event, now, timestamp);
        if (!result.changed) return result.alert;
        store.put(key, result.state);
        index.add(result.state.end, key);
        return result.alert;
      }

      function forwardAlert(alert: FraudAlert, event: ClickEvent): void {
        const observedAt = event.received_at
          ? Date.parse(event.received_at)
          : Date.parse(event.event_time);
        hooks.onAlert?.(alert, ctx.now() - observedAt);
        const out: Rec<FraudAlert> = {
          key: event.user_id,
          value: alert,
          timestamp: Date.parse(alert.window_start),
        };
        ctx.forward(out);
      }
    },
  };
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
