/**
 * npm run cli -- overview | sessions [--user U] | alerts [--since 1h]  [--url URL] [--api-key K] [--json]
 * npm run cli -- alerts --follow [--rule R] [--severity S] [--since D] [--limit N]
 * npm run cli -- rules | rules history | rules set R --threshold X | rules reset R
 *
 * Calls the metrics query API and prints tables, or tails the alert topic. See `npm run cli -- --help`.
 */
import { usageErrorText } from '../shared/args';
import { CliOptions, parseCliArgs, USAGE, UsageError } from './args';
import { followAlerts } from './alerts-follow';
import { renderAlerts, renderOverview, renderSessions } from './render';
import { renderRuleChange, renderRuleHistory, renderRules } from './rules';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const PATHS = {
  overview: '/v1/overview',
  sessions: '/v1/sessions',
  alerts: '/v1/alerts',
  rules: '/v1/rules',
} as const;

async function request(options: CliOptions): Promise<unknown> {
  const url = new URL(options.rules?.path ?? PATHS[options.command], options.url);
  for (const [k, v] of Object.entries(options.query)) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  // A rule change sends the admin key; reads send the read key.
  const key = options.rules?.adminKey ?? options.apiKey;
  if (key) headers['x-api-key'] = key;
  const payload =
    options.rules?.body === undefined ? undefined : JSON.stringify(options.rules.body);
  if (payload) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: options.rules?.method ?? 'GET',
    headers,
    body: payload,
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as { message?: unknown };
  if (!res.ok)
    throw new Error(
      `${res.status} from ${url.pathname}: ${typeof body.message === 'string' ? body.message : JSON.stringify(body)}`,
    );
  return body;
}

function render(options: CliOptions, body: unknown): string {
  if (options.json) return JSON.stringify(body, null, 2);
  if (options.command === 'overview')
    return renderOverview(body as Parameters<typeof renderOverview>[0]);
  if (options.rules) return renderRulesAnswer(options.rules.action, body);
  const page = body as { items: unknown[]; next_cursor: string | null };
  const table =
    options.command === 'sessions'
      ? renderSessions(page.items as Parameters<typeof renderSessions>[0])
      : renderAlerts(page.items as Parameters<typeof renderAlerts>[0]);
  const more = page.next_cursor ? `\n(more: raise --limit, up to 1000)` : '';
  return `${table}\n${page.items.length} row(s)${more}`;
}

function renderRulesAnswer(action: 'list' | 'history' | 'set' | 'reset', body: unknown): string {
  if (action === 'list')
    return renderRules((body as { items: Parameters<typeof renderRules>[0] }).items);
  if (action === 'history') {
    const page = body as {
      items: Parameters<typeof renderRuleHistory>[0];
      next_cursor: string | null;
    };
    return `${renderRuleHistory(page.items)}\n${page.items.length} change(s)${page.next_cursor ? '\n(more: raise --limit, up to 1000)' : ''}`;
  }
  return renderRuleChange(body as Parameters<typeof renderRuleChange>[0]);
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(usageErrorText('cli', 'npm run cli --', err));
    return EXIT_USAGE;
  }
  if (options.help) {
    console.log(options.helpText ?? USAGE);
    return EXIT_OK;
  }
  try {
    if (options.follow) {
      const stop = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
      await followAlerts(
        options.follow,
        { line: (t) => console.log(t), warn: (t) => console.error(`cli: ${t}`) },
        stop.signal,
      );
      return EXIT_OK;
    }
    console.log(render(options, await request(options)));
    return EXIT_OK;
  } catch (err) {
    console.error(`cli: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
