import { ClickEvent } from '@clickstream/contracts';
import { KeyValueStore, StateFormatError } from '@clickstream/streams';
import { FraudConfig } from '../rules/rule-config';
import {
  stepUserRule,
  USER_RULE_SPECS,
  USER_RULES,
  UserRuleName,
  userWindow,
  UserWindowState,
} from '../rules/user-rules';
import { UserRuleWindows, UserWindows, userWindowsOf } from '../rules/user-windows-bytes';
import { forwardAlert, ruleNode } from './rule-node';

export const USER_RULES_NODE = 'fraud-user-rules';
export const USER_RULES_STORE = 'fraud-user-rules-store';

/** What the store holds per user: the windows as put, or (after their commit) their bytes. */
type StoredWindows = UserWindows | Uint8Array;

/**
 * Store key of a user's windows. `u|` sets it apart from the layout before it, one key per
 * (rule, user, window): `<rule>|<user>|<window start>`, which a task moves over when it opens.
 */
export const userRulesKey = (user: string) => `u|${user}`;
const USER_KEY_PREFIX = 'u|';

/**
 * Runs the enabled per-user rules on every event (ClickEvent values, event time = event_time) and
 * forwards each alert (key user_id) as soon as a threshold is crossed. A window is dropped from its
 * user's state once the partition's watermark reaches its end: no event of it can be accepted after
 * that.
 *
 * One store key per user, not per (rule, user, window): under live cardinality a user has five to
 * seven windows open (click_flood's 1 min ones within the allowed lateness, the 10 min ones), and
 * each key cost its own key string, map and index entries and state row, more than the window
 * itself (BENCHMARKS.md, "The fraud-detector's rule windows, one key per user, at rest as bytes").
 *
 * The config is read per event, so a runtime change applies from the next event: a new threshold
 * judges the open windows' counts so far, and a new window size starts new windows (a stored
 * window of the old size is not continued, even where the starts coincide: it is replaced).
 */
export const userRulesNode = ruleNode<StoredWindows>(
  USER_RULES_NODE,
  USER_RULES_STORE,
  (ctx, store, current, hooks) => {
    moveKeysPerWindow(store);
    const index = new WindowEndIndex();
    const reindex = (key: string, stored = store.get(key)) => {
      if (stored) for (const w of userWindowsOf(stored)) index.add(w.end, key);
    };
    for (const [key, stored] of store.entries()) reindex(key, stored);

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
        const key = userRulesKey(event.user_id);
        const stored = store.get(key);
        const before = stored && userWindowsOf(stored);
        let windows = before;
        for (const rule of enabled) {
          hooks.onEvaluate?.(rule);
          const spec = USER_RULE_SPECS[rule];
          if (!spec.counts(event)) continue;
          const ruleCfg = cfg.rules[rule];
          const window = userWindow(ruleCfg, rec.timestamp);
          const at = windows?.findIndex((w) => w.rule === rule && w.start === window.start) ?? -1;
          const found = at >= 0 && windows![at].end === window.end ? windows![at] : undefined;
          const result = stepUserRule(spec, ruleCfg, found, event, now, rec.timestamp);
          if (result.changed) {
            windows = withWindow(windows, at, result.state);
            index.add(result.state.end, key);
          }
          if (result.alert)
            forwardAlert(ctx, hooks, result.alert, event.user_id, observedAt(event));
        }
        if (windows !== before) store.put(key, new UserWindows(windows!));
      },
      /** After a failed step: the users' windows it put back are indexed again (extra entries are skipped). */
      restored(keys) {
        for (const key of keys.get(store.name) ?? []) reindex(key);
      },
      onWatermark(watermark) {
        const taken = index.takeUpTo(watermark);
        // Should the step fail, the keys it took are indexed again from the windows put back.
        if (taken.length) ctx.onRollback(() => taken.forEach((key) => reindex(key)));
        for (const key of taken) {
          // A user's later windows (and of another size, after a runtime change) stay.
          const stored = store.get(key);
          if (!stored) continue;
          const windows = userWindowsOf(stored);
          const open = windows.filter((w) => w.end > watermark);
          if (open.length === windows.length) continue;
          if (open.length) store.put(key, new UserWindows(open));
          else store.delete(key);
        }
      },
    };
  },
);

/** `windows` with `next` in place of the one at `at` (-1: added). */
function withWindow(
  windows: UserRuleWindows | undefined,
  at: number,
  next: UserWindowState,
): UserRuleWindows {
  if (!windows) return [next];
  const out = windows.slice();
  if (at >= 0) out[at] = next;
  else out.push(next);
  return out;
}

/** A window as stored before one key per user: the key was `<rule>|<user>|<window start>`. */
interface WindowPerKey {
  user_id: string;
  start: number;
  end: number;
  acc: unknown;
  fired: boolean;
}

/**
 * Moves windows stored one per key (the layout before one key per user) to their user's key, so a
 * new build goes on with the windows an old one left open. The old keys' rows are deleted, and the
 * users' written, by the task's next commit; until then a restart moves them again.
 */
export function moveKeysPerWindow(store: KeyValueStore<StoredWindows>): void {
  const moved = new Map<string, UserWindowState[]>();
  const oldKeys: string[] = [];
  for (const [key, value] of store.entries()) {
    if (key.startsWith(USER_KEY_PREFIX)) continue;
    oldKeys.push(key);
    const rule = key.slice(0, key.indexOf('|')) as UserRuleName;
    const old = value as unknown as WindowPerKey;
    if (!USER_RULES.includes(rule) || typeof old?.user_id !== 'string')
      throw new StateFormatError(
        `${store.name}: key "${key}" is neither a user's ("u|<user>") nor a window's ("<rule>|<user>|<start>")`,
      );
    const userKey = userRulesKey(old.user_id);
    const existing = store.get(userKey);
    const windows = moved.get(userKey) ?? [...(existing ? userWindowsOf(existing) : [])];
    windows.push({ rule, start: old.start, end: old.end, acc: old.acc, fired: old.fired });
    moved.set(userKey, windows);
  }
  for (const key of oldKeys) store.delete(key);
  for (const [key, windows] of moved) store.put(key, new UserWindows(windows));
}

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
