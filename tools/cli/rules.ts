import { ALERT_RULES } from '@clickstream/contracts';
import { renderTable } from './table';

/**
 * `npm run cli -- rules ...`: the fraud rules at runtime through the metrics API.
 *
 *   rules                                   GET /v1/rules
 *   rules history [--rule R] [--limit N]    GET /v1/rules/history
 *   rules set R [--threshold X] [--window-ms N] [--severity S] [--enabled true|false]
 *                                           PUT /v1/rules/R (admin key)
 *   rules reset R                           DELETE /v1/rules/R (admin key)
 */

export interface RulesRequest {
  action: 'list' | 'history' | 'set' | 'reset';
  method: 'GET' | 'PUT' | 'DELETE';
  path: string;
  query: Record<string, string>;
  body?: Record<string, unknown>;
  /** Needed by set and reset: --admin-key or $METRICS_ADMIN_API_KEY. */
  adminKey?: string;
}

type Fail = (message: string) => never;

const SETTING_FLAGS: Record<string, string> = { threshold: 'threshold', 'window-ms': 'window_ms', severity: 'severity', enabled: 'enabled' };

/** A flag's text as the JSON the API checks: numbers and booleans typed, anything else sent as text so the 400 names it. */
function settingValue(field: string, text: string): unknown {
  if (field === 'enabled') return text === 'true' ? true : text === 'false' ? false : text;
  if (field === 'severity') return text;
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? Number(text) : text;
}

function ruleArg(value: string | undefined, fail: Fail): string {
  if (value === undefined || value.startsWith('--')) fail(`rules set/reset needs a rule: one of ${ALERT_RULES.join(', ')}`);
  if (!(ALERT_RULES as readonly string[]).includes(value!)) fail(`unknown rule "${value}": use one of ${ALERT_RULES.join(', ')}`);
  return value!;
}

/** Flags as name → value; --flag value pairs only. */
function flagPairs(args: string[], allowed: string[], what: string, fail: Fail): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : '';
    if (!allowed.includes(name)) fail(`unknown option "${args[i]}" for ${what} (use ${allowed.map((f) => `--${f}`).join(', ')})`);
    const value = args[++i];
    if (value === undefined) fail(`--${name} needs a value`);
    if (Object.hasOwn(flags, name)) fail(`--${name} given twice`);
    flags[name] = value;
  }
  return flags;
}

export function parseRulesArgs(rest: string[], env: NodeJS.ProcessEnv, fail: Fail): RulesRequest {
  const [sub, ...args] = rest;
  if (sub === undefined) return { action: 'list', method: 'GET', path: '/v1/rules', query: {} };
  if (sub === 'history') {
    const flags = flagPairs(args, ['rule', 'limit'], 'rules history', fail);
    return { action: 'history', method: 'GET', path: '/v1/rules/history', query: flags };
  }
  if (sub !== 'set' && sub !== 'reset') fail(`unknown rules command "${sub}": use rules, rules history, rules set or rules reset`);
  const rule = ruleArg(args[0], fail);
  const adminKey = env.METRICS_ADMIN_API_KEY || undefined;
  const allowed = sub === 'set' ? [...Object.keys(SETTING_FLAGS), 'admin-key'] : ['admin-key'];
  const flags = flagPairs(args.slice(1), allowed, `rules ${sub}`, fail);
  const key = flags['admin-key'] ?? adminKey;
  if (!key) fail(`rules ${sub} needs an admin key: --admin-key K or $METRICS_ADMIN_API_KEY (one of the service's METRICS_ADMIN_API_KEYS)`);
  if (sub === 'reset') return { action: 'reset', method: 'DELETE', path: `/v1/rules/${rule}`, query: {}, adminKey: key };
  const body: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(SETTING_FLAGS)) if (flags[flag] !== undefined) body[field] = settingValue(field, flags[flag]);
  if (Object.keys(body).length === 0) fail(`rules set ${rule} needs a setting: ${Object.keys(SETTING_FLAGS).map((f) => `--${f}`).join(', ')}`);
  return { action: 'set', method: 'PUT', path: `/v1/rules/${rule}`, query: {}, body, adminKey: key };
}

interface RuleItem {
  rule: string;
  config: { enabled: boolean; threshold: number; window_ms: number; severity: string };
  source: string;
  revision: number | null;
  changed_at: string | null;
  changed_by: string | null;
}

interface ChangeItem {
  revision: number;
  rule: string;
  action: string;
  changed_at: string;
  changed_by: string;
  before: RuleItem['config'];
  after: RuleItem['config'];
}

const settings = (c: RuleItem['config']) => `${c.enabled ? 'on' : 'off'} ${c.threshold} / ${c.window_ms / 1000}s ${c.severity}`;

export function renderRules(items: RuleItem[]): string {
  return renderTable(
    ['rule', 'enabled', 'threshold', 'window_ms', 'severity', 'source', 'revision', 'changed_by', 'changed_at'],
    items.map((r) => [r.rule, r.config.enabled, r.config.threshold, r.config.window_ms, r.config.severity, r.source, r.revision, r.changed_by, r.changed_at]),
  );
}

export function renderRuleHistory(items: ChangeItem[]): string {
  return renderTable(
    ['revision', 'changed_at', 'rule', 'action', 'changed_by', 'before', 'after'],
    items.map((c) => [c.revision, c.changed_at, c.rule, c.action, c.changed_by, settings(c.before), settings(c.after)]),
  );
}

export function renderRuleChange(body: { rule: RuleItem; changed: boolean; published: boolean }): string {
  const state = !body.changed ? 'unchanged (already in force)' : body.published ? 'changed and published' : 'changed; publishing is retried by the service';
  return `${renderRules([body.rule])}\n${state}`;
}
