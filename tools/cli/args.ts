import { ALERT_RULES, ALERT_SEVERITIES, AlertRule, topicNames } from '@clickstream/contracts';
import {
  choiceParser,
  defineProgram,
  flag,
  formatProgramHelp,
  integer,
  InvalidValue,
  list,
  oneOf,
  parseProgram,
  parseText,
  ProgramCommandLine,
  text,
  UsageError,
  value,
  Values,
} from '../shared/args';
import { parseBrokers } from '../shared/kafka-event-sink';
import type { FollowOptions } from './alerts-follow';
import { API_OPTIONS, DEFAULT_URL } from './api-options';
import { RULES_COMMANDS, rulesRequest, RulesRequest } from './rules';

export { UsageError } from '../shared/args';
export { DEFAULT_URL } from './api-options';

export const DEFAULT_BROKERS = '127.0.0.1:19092';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "1h", "2d" → milliseconds. */
export function parseDuration(raw: string): number {
  const match = /^(\d{1,6})([smhd])$/.exec(raw);
  if (!match || Number(match[1]) === 0)
    throw new InvalidValue('must be a duration such as 30s, 15m, 1h or 2d');
  return Number(match[1]) * UNIT_MS[match[2]];
}

const since = (description: string, defaultText?: string) =>
  value(parseDuration, { placeholder: 'D', description, defaultText });
const pageLimit = integer({
  min: 1,
  description: 'rows per page (the service allows up to its METRICS_MAX_LIMIT, 1000 by default)',
});

const ALERTS_OPTIONS = {
  since: since(
    'alerts whose window started in the last D (with --follow: published from D ago)',
    '1h (with --follow: from now on)',
  ),
  rule: list(choiceParser(ALERT_RULES), {
    placeholder: 'R[,R]',
    description: `only this rule (with --follow: these rules): ${ALERT_RULES.join(', ')}`,
  }),
  user: text({ placeholder: 'U', description: 'only alerts of this user' }),
  limit: integer({
    min: 1,
    max: 1_000_000,
    description: 'rows per page (with --follow: exit after N alerts)',
  }),
  follow: flag({
    description: 'tail clickstream.alerts.v1 (read_committed) as a live table, until Ctrl-C',
  }),
  severity: oneOf(ALERT_SEVERITIES, {
    description: 'with --follow: this severity and higher (low < medium < high)',
  }),
  brokers: value(parseBrokers, {
    placeholder: 'H:P[,H:P]',
    description: 'with --follow: Kafka bootstrap servers',
    defaultText: `$KAFKA_BROKERS or ${DEFAULT_BROKERS}`,
  }),
  ...API_OPTIONS,
};

export const CLI_PROGRAM = defineProgram({
  invocation: 'npm run cli --',
  description: 'Operator CLI over the metrics query API (SPEC §8).',
  helpWhenEmpty: true,
  commands: {
    overview: { description: 'KPIs now', options: API_OPTIONS },
    sessions: {
      description: 'sessions, newest first',
      options: {
        user: text({ placeholder: 'U', description: 'only sessions of this user' }),
        status: oneOf(['open', 'closed'] as const, {
          description: 'only open or only closed sessions',
        }),
        since: since('sessions that started in the last D'),
        limit: pageLimit,
        ...API_OPTIONS,
      },
      epilog: 'D is a duration: 30s, 15m, 1h, 2d.',
    },
    alerts: {
      description:
        'alerts whose window started in the last D (default 1h), or with --follow a live table of new alerts',
      options: ALERTS_OPTIONS,
      epilog: `--follow shows alerts published from now on, or from D ago, and takes --rule, --severity, --since,
--limit, --brokers and --json. Kafka from --brokers, $KAFKA_BROKERS or ${DEFAULT_BROKERS}; topic prefix
$KAFKA_TOPIC_PREFIX. D is a duration: 30s, 15m, 1h, 2d.`,
      check: checkAlerts,
    },
    ...RULES_COMMANDS,
  },
  epilog:
    'D is a duration: 30s, 15m, 1h, 2d. Exit status: 0 ok, 1 request failed, 2 bad arguments.',
});

export const USAGE = formatProgramHelp(CLI_PROGRAM);

export type Command = 'overview' | 'sessions' | 'alerts' | 'rules';

export interface CliOptions {
  help: boolean;
  /** With help: what to print (the program's help, or one command's). */
  helpText?: string;
  command: Command;
  url: string;
  apiKey?: string;
  json: boolean;
  /** Query parameters for the API, already named as the API names them. */
  query: Record<string, string>;
  /** `alerts --follow`: tail the topic instead of asking the API. */
  follow?: FollowOptions;
  /** `rules ...`: the request to the rules endpoints. */
  rules?: RulesRequest;
}

type AlertsValues = Values<typeof ALERTS_OPTIONS>;

/** Options of the API form and of the --follow form of alerts do not mix. */
function checkAlerts(values: AlertsValues): void {
  const wrong = values.follow
    ? (['user', 'url', 'apiKey'] as const)
    : (['severity', 'brokers'] as const);
  const flagOf = {
    user: '--user',
    url: '--url',
    apiKey: '--api-key',
    severity: '--severity',
    brokers: '--brokers',
  };
  for (const key of wrong) {
    if (values[key] === undefined) continue;
    if (values.follow)
      throw new UsageError(`unknown option "${flagOf[key]}" for alerts --follow`, flagOf[key]);
    throw new UsageError(`${flagOf[key]} goes with alerts --follow`, flagOf[key]);
  }
  if (!values.follow && (values.rule?.length ?? 0) > 1) {
    throw new UsageError(
      `--rule: one rule at a time without --follow (got "${values.rule!.join(',')}")`,
      '--rule',
    );
  }
}

type CliCommandLine = ProgramCommandLine<typeof CLI_PROGRAM.commands>;
type RulesCommandLine = Extract<CliCommandLine, { command: keyof typeof RULES_COMMANDS }>;
type ApiCommandLine = Exclude<CliCommandLine, RulesCommandLine>;

const isRulesCommand = (parsed: CliCommandLine): parsed is RulesCommandLine =>
  Object.hasOwn(RULES_COMMANDS, parsed.command);

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv, now = new Date()): CliOptions {
  const parsed = parseProgram(CLI_PROGRAM, argv);
  if (parsed.help)
    return {
      help: true,
      helpText: parsed.text,
      command: 'overview',
      url: DEFAULT_URL,
      json: false,
      query: {},
    };
  if (parsed.command === 'alerts' && parsed.values.follow)
    return followOptions(parsed.values, env, now);
  const common = {
    help: false,
    url: (parsed.values.url ?? (env.METRICS_URL || DEFAULT_URL)).replace(/\/+$/, ''),
    apiKey: parsed.values.apiKey ?? (env.METRICS_API_KEY || undefined),
    json: parsed.values.json,
  };
  if (!isRulesCommand(parsed))
    return { ...common, command: parsed.command, query: apiQuery(parsed, now) };
  const rules = rulesRequest(parsed, env);
  return { ...common, command: 'rules', query: rules.query, rules };
}

/** The query parameters of overview, sessions and alerts, named as the API names them. */
function apiQuery(parsed: ApiCommandLine, now: Date): Record<string, string> {
  if (parsed.command === 'overview') return {};
  const query: Record<string, string> = {};
  if (parsed.values.user) query.user_id = parsed.values.user;
  if (parsed.command === 'sessions' && parsed.values.status) query.status = parsed.values.status;
  if (parsed.command === 'alerts' && parsed.values.rule) query.rule = parsed.values.rule[0];
  if (parsed.values.limit !== undefined) query.limit = String(parsed.values.limit);
  const sinceMs = parsed.values.since ?? (parsed.command === 'alerts' ? UNIT_MS.h : undefined);
  if (sinceMs !== undefined) query.from = new Date(now.getTime() - sinceMs).toISOString();
  return query;
}

/** `alerts --follow ...`: the topic, filters and start of the tail. */
function followOptions(values: AlertsValues, env: NodeJS.ProcessEnv, now: Date): CliOptions {
  const brokers =
    values.brokers ??
    (parseText('KAFKA_BROKERS', parseBrokers, env.KAFKA_BROKERS ?? DEFAULT_BROKERS) as string[]);
  const follow: FollowOptions = {
    brokers,
    topic: topicNames(env.KAFKA_TOPIC_PREFIX ?? '').alerts,
    rules: values.rule ? new Set<AlertRule>(values.rule) : null,
    minSeverity: values.severity ?? null,
    sinceMs: values.since === undefined ? null : now.getTime() - values.since,
    limit: values.limit ?? null,
    json: values.json,
  };
  return { help: false, command: 'alerts', url: DEFAULT_URL, json: values.json, query: {}, follow };
}
