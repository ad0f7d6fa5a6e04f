import { ALERT_RULES, ALERT_SEVERITIES, RuleChangeItem, RuleView } from '@clickstream/contracts';
import {
  choiceParser,
  CommandTable,
  flagName,
  integer,
  oneOf,
  ProgramCommandLine,
  text,
  UsageError,
} from '../shared/args';
import { API_OPTIONS } from './api-options';
import { Column, itemTable } from './table';

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

const ADMIN_KEY = text({
  placeholder: 'K',
  description: 'an admin key of the metrics service',
  defaultText: '$METRICS_ADMIN_API_KEY',
});
const RULE_ARGUMENT = {
  name: 'rule',
  description: ALERT_RULES.join(', '),
  parse: choiceParser(ALERT_RULES),
};
const SETTINGS = {
  threshold: text({ placeholder: 'X', description: "the rule's threshold" }),
  windowMs: text({ placeholder: 'N', description: "the rule's window in ms" }),
  severity: text({
    placeholder: 'S',
    description: `the severity of its alerts: ${ALERT_SEVERITIES.join(', ')}`,
  }),
  enabled: text({ placeholder: 'true|false', description: 'whether the rule runs' }),
};

/** The rules commands of `npm run cli`. */
export const RULES_COMMANDS = {
  rules: {
    description:
      "each fraud rule's settings now and where they come from (default, file, env, runtime)",
    options: API_OPTIONS,
  },
  'rules history': {
    description: 'runtime changes, newest first: who (key id), when, before, after',
    options: {
      rule: oneOf(ALERT_RULES, { placeholder: 'R', description: 'only changes of this rule' }),
      limit: integer({ min: 1, description: 'changes per page' }),
      ...API_OPTIONS,
    },
  },
  'rules set': {
    description: 'changes <rule> in every fraud-detector from its next event',
    arguments: [RULE_ARGUMENT],
    options: { ...SETTINGS, adminKey: ADMIN_KEY, ...API_OPTIONS },
    epilog:
      'Give at least one setting. The service checks the values and answers 400 naming a bad one.',
  },
  'rules reset': {
    description: "takes <rule> back to the detectors' boot config",
    arguments: [RULE_ARGUMENT],
    options: { adminKey: ADMIN_KEY, ...API_OPTIONS },
  },
} satisfies CommandTable;

type RulesCommandLine = ProgramCommandLine<typeof RULES_COMMANDS>;

/** A setting's text as the JSON the API checks: numbers and booleans typed, anything else sent as text so the 400 names it. */
function settingValue(field: string, raw: string): unknown {
  if (field === 'enabled') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (field === 'severity') return raw;
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : raw;
}

/** The request a parsed `rules ...` command line makes. Throws UsageError. */
export function rulesRequest(parsed: RulesCommandLine, env: NodeJS.ProcessEnv): RulesRequest {
  if (parsed.command === 'rules')
    return { action: 'list', method: 'GET', path: '/v1/rules', query: {} };
  if (parsed.command === 'rules history') {
    const { rule, limit } = parsed.values;
    const query: Record<string, string> = {};
    if (rule !== undefined) query.rule = rule;
    if (limit !== undefined) query.limit = String(limit);
    return { action: 'history', method: 'GET', path: '/v1/rules/history', query };
  }
  const [rule] = parsed.positionals;
  const action = parsed.command === 'rules set' ? 'set' : 'reset';
  const adminKey = parsed.values.adminKey ?? (env.METRICS_ADMIN_API_KEY || undefined);
  if (!adminKey) {
    throw new UsageError(
      `rules ${action} needs an admin key: --admin-key K or $METRICS_ADMIN_API_KEY (one of the service's METRICS_ADMIN_API_KEYS)`,
    );
  }
  if (parsed.command === 'rules reset')
    return { action: 'reset', method: 'DELETE', path: `/v1/rules/${rule}`, query: {}, adminKey };
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as Array<keyof typeof SETTINGS>) {
    const raw = parsed.values[key];
    const field = key === 'windowMs' ? 'window_ms' : key;
    if (raw !== undefined) body[field] = settingValue(field, raw);
  }
  if (Object.keys(body).length === 0) {
    throw new UsageError(
      `rules set ${rule} needs a setting: ${Object.keys(SETTINGS)
        .map((key) => `--${flagName(key)}`)
        .join(', ')}`,
    );
  }
  return { action: 'set', method: 'PUT', path: `/v1/rules/${rule}`, query: {}, body, adminKey };
}

/** The API's items, as contracts define them. */
type RuleItem = Omit<RuleView, 'sources'>;
type ChangeItem = RuleChangeItem;

const settings = (c: RuleItem['config']) =>
  `${c.enabled ? 'on' : 'off'} ${c.threshold} / ${c.window_ms / 1000}s ${c.severity}`;

/** The rule's settings in force, a column each. */
const CONFIG_COLUMNS = (['enabled', 'threshold', 'window_ms', 'severity'] as const).map(
  (field): Column<RuleItem> => [field, (r) => r.config[field]],
);

export const renderRules = itemTable<RuleItem>([
  'rule',
  ...CONFIG_COLUMNS,
  'source',
  'revision',
  'changed_by',
  'changed_at',
]);

export const renderRuleHistory = itemTable<ChangeItem>([
  'revision',
  'changed_at',
  'rule',
  'action',
  'changed_by',
  ['before', (c) => settings(c.before)],
  ['after', (c) => settings(c.after)],
]);

export function renderRuleChange(body: {
  rule: RuleItem;
  changed: boolean;
  published: boolean;
}): string {
  const state = !body.changed
    ? 'unchanged (already in force)'
    : body.published
      ? 'changed and published'
      : 'changed; publishing is retried by the service';
  return `${renderRules([body.rule])}\n${state}`;
}
