export const DEFAULT_URL = 'http://127.0.0.1:3005';

export const USAGE = `usage: npm run cli -- <command> [options]

Operator CLI over the metrics query API (SPEC §8).

commands:
  overview                          KPIs now
  sessions [--user U] [--status open|closed] [--since D] [--limit N]
                                    sessions, newest first
  alerts [--since D] [--rule R] [--user U] [--limit N]
                                    alerts whose window started in the last D (default 1h)

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

export type Command = 'overview' | 'sessions' | 'alerts';
const COMMANDS: Command[] = ['overview', 'sessions', 'alerts'];
const FLAGS: Record<Command, string[]> = {
  overview: [],
  sessions: ['user', 'status', 'since', 'limit'],
  alerts: ['since', 'rule', 'user', 'limit'],
};

export interface CliOptions {
  help: boolean;
  command: Command;
  url: string;
  apiKey?: string;
  json: boolean;
  /** Query parameters for the API, already named as the API names them. */
  query: Record<string, string>;
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
