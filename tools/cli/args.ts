import { ALERT_RULES, ALERT_SEVERITIES, AlertRule, AlertSeverity, topicNames } from '@clickstream/contracts';
import { parseBrokers } from '../shared/kafka-event-sink';
import type { FollowOptions } from './alerts-follow';
import { parseRulesArgs, RulesRequest } from './rules';

export const DEFAULT_URL = 'http://127.0.0.1:3005';
export const DEFAULT_BROKERS = '127.0.0.1:19092';

export const USAGE = `usage: npm run cli -- <command> [options]

Operator CLI over the metrics query API (SPEC §8).

commands:
  overview                          KPIs now
  sessions [--user U] [--status open|closed] [--since D] [--limit N]
                                    sessions, newest first
  alerts [--since D] [--rule R] [--user U] [--limit N]
                                    alerts whose window started in the last D (default 1h)
  alerts --follow [--rule R[,R]] [--severity S] [--since D] [--limit N] [--brokers B] [--json]
                                    tails clickstream.alerts.v1 (read_committed) as a live table:
                                    alerts published from now on, or from D ago; S shows S and
                                    higher (low < medium < high); exits after N alerts, or on Ctrl-C.
                                    Kafka from --brokers, $KAFKA_BROKERS or ${DEFAULT_BROKERS};
                                    topic prefix $KAFKA_TOPIC_PREFIX
  rules                             each fraud rule's settings now and where they come from
                                    (default, file, env, runtime)
  rules history [--rule R] [--limit N]
                                    runtime changes, newest first: who (key id), when, before, after
  rules set R [--threshold X] [--window-ms N] [--severity S] [--enabled true|false]
                                    changes rule R in every fraud-detector from its next event
  rules reset R                     takes rule R back to the detectors' boot config
                                    (set and reset need --admin-key K or $METRICS_ADMIN_API_KEY)

options:
  --url URL        metrics base URL, default $METRICS_URL or ${DEFAULT_URL}
  --api-key K      API key, default $METRICS_API_KEY
  --json           print the raw JSON answer
  -h, --help       this help

D is a duration: 30s, 15m, 1h, 2d. Exit status: 0 ok, 1 request failed, 2 bad arguments.`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Command = 'overview' | 'sessions' | 'alerts' | 'rules';
const COMMANDS: Command[] = ['overview', 'sessions', 'alerts', 'rules'];
const FLAGS: Record<Command, string[]> = {
  overview: [],
  sessions: ['user', 'status', 'since', 'limit'],
  alerts: ['since', 'rule', 'user', 'limit'],
  rules: [],
};

export interface CliOptions {
  help: boolean;
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

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "15m", "1h", "2d" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text);
  if (!m || Number(m[1]) === 0) throw new UsageError(`--since must be a duration such as 30s, 15m, 1h or 2d (got "${text}")`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv, now = new Date()): CliOptions {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help')) {
    return { help: true, command: 'overview', url: DEFAULT_URL, json: false, query: {} };
  }
  const [command, ...rest] = argv;
  if (!COMMANDS.includes(command as Command)) throw new UsageError(`unknown command "${command}": use ${COMMANDS.join(', ')}`);
  if (command === 'alerts' && rest.includes('--follow')) return parseFollow(rest.filter((a) => a !== '--follow'), env, now);
  if (command === 'rules') return parseRules(rest, env);
  const opts: CliOptions = { help: false, command: command as Command, url: env.METRICS_URL || DEFAULT_URL, apiKey: env.METRICS_API_KEY || undefined, json: false, query: {} };
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--json') {
      opts.json = true;
      continue;
    }
    const name = flag.startsWith('--') ? flag.slice(2) : '';
    if (!['url', 'api-key', ...FLAGS[opts.command]].includes(name)) throw new UsageError(`unknown option "${flag}" for ${command}`);
    const value = rest[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    flags[name] = value;
  }
  if (flags.url) opts.url = flags.url.replace(/\/+$/, '');
  if (flags['api-key']) opts.apiKey = flags['api-key'];
  opts.query = apiQuery(opts.command, flags, now);
  return opts;
}

function apiQuery(command: Command, flags: Record<string, string>, now: Date): Record<string, string> {
  const q: Record<string, string> = {};
  if (flags.user) q.user_id = flags.user;
  if (flags.status) q.status = flags.status;
  if (flags.rule) q.rule = flags.rule;
  if (flags.limit) q.limit = flags.limit;
  const since = flags.since ?? (command === 'alerts' ? '1h' : undefined);
  if (since) q.from = new Date(now.getTime() - parseDuration(since)).toISOString();
  return q;
}

const FOLLOW_FLAGS = ['rule', 'severity', 'since', 'limit', 'brokers'];

/** `alerts --follow ...`: the topic, filters and start of the tail. */
function parseFollow(rest: string[], env: NodeJS.ProcessEnv, now: Date): CliOptions {
  const flags: Record<string, string> = {};
  let json = false;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--json') {
      json = true;
      continue;
    }
    const name = rest[i].startsWith('--') ? rest[i].slice(2) : '';
    if (!FOLLOW_FLAGS.includes(name)) throw new UsageError(`unknown option "${rest[i]}" for alerts --follow (use ${FOLLOW_FLAGS.map((f) => `--${f}`).join(', ')}, --json)`);
    const value = rest[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  const rules = flags.rule?.split(',').map((r) => r.trim());
  for (const r of rules ?? []) {
    if (!(ALERT_RULES as readonly string[]).includes(r)) throw new UsageError(`--rule must be one of ${ALERT_RULES.join(', ')} (got "${r}")`);
  }
  const severity = flags.severity;
  if (severity !== undefined && !(ALERT_SEVERITIES as readonly string[]).includes(severity)) {
    throw new UsageError(`--severity must be one of ${ALERT_SEVERITIES.join(', ')} (got "${severity}")`);
  }
  const limit = flags.limit === undefined ? null : Number(flags.limit);
  if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000)) {
    throw new UsageError(`--limit must be a whole number from 1 to 1000000 (got "${flags.limit}")`);
  }
  const brokersText = flags.brokers ?? env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  let brokers: string[];
  try {
    brokers = parseBrokers(brokersText);
  } catch (err) {
    throw new UsageError(`--brokers: ${(err as Error).message}`);
  }
  const follow: FollowOptions = {
    brokers,
    topic: topicNames(env.KAFKA_TOPIC_PREFIX ?? '').alerts,
    rules: rules ? new Set(rules as AlertRule[]) : null,
    minSeverity: (severity as AlertSeverity | undefined) ?? null,
    sinceMs: flags.since === undefined ? null : now.getTime() - parseDuration(flags.since),
    limit,
    json,
  };
  return { help: false, command: 'alerts', url: DEFAULT_URL, json, query: {}, follow };
}

/** `rules ...`: --url, --api-key and --json anywhere; the rest is the rules command. */
function parseRules(rest: string[], env: NodeJS.ProcessEnv): CliOptions {
  const opts: CliOptions = { help: false, command: 'rules', url: env.METRICS_URL || DEFAULT_URL, apiKey: env.METRICS_API_KEY || undefined, json: false, query: {} };
  const remaining: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--json') opts.json = true;
    else if (rest[i] === '--url' || rest[i] === '--api-key') {
      const value = rest[++i];
      if (value === undefined) throw new UsageError(`${rest[i - 1]} needs a value`);
      if (rest[i - 1] === '--url') opts.url = value.replace(/\/+$/, '');
      else opts.apiKey = value;
    } else remaining.push(rest[i]);
  }
  opts.rules = parseRulesArgs(remaining, env, (message) => {
    throw new UsageError(message);
  });
  opts.query = opts.rules.query;
  return opts;
}
