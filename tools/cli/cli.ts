/**
 * npm run cli -- overview | sessions [--user U] | alerts [--since 1h]  [--url URL] [--api-key K] [--json]
 * npm run cli -- alerts --follow [--rule R] [--severity S] [--since D] [--limit N]
 *
 * Calls the metrics query API and prints tables, or tails the alert topic. See `npm run cli -- --help`.
 */
import { CliOptions, parseCliArgs, USAGE, UsageError } from './args';
import { followAlerts } from './alerts-follow';
import { renderAlerts, renderOverview, renderSessions } from './render';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const PATHS = { overview: '/v1/overview', sessions: '/v1/sessions', alerts: '/v1/alerts' } as const;

async function request(o: CliOptions): Promise<unknown> {
  const url = new URL(PATHS[o.command], o.url);
  for (const [k, v] of Object.entries(o.query)) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.apiKey) headers['x-api-key'] = o.apiKey;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  const body = (await res.json().catch(() => ({}))) as { message?: unknown };
  if (!res.ok) throw new Error(`${res.status} from ${url.pathname}: ${typeof body.message === 'string' ? body.message : JSON.stringify(body)}`);
  return body;
}

function render(o: CliOptions, body: unknown): string {
  if (o.json) return JSON.stringify(body, null, 2);
  if (o.command === 'overview') return renderOverview(body as Parameters<typeof renderOverview>[0]);
  const page = body as { items: unknown[]; next_cursor: string | null };
  const table = o.command === 'sessions' ? renderSessions(page.items as Parameters<typeof renderSessions>[0]) : renderAlerts(page.items as Parameters<typeof renderAlerts>[0]);
  const more = page.next_cursor ? `\n(more: raise --limit, up to 1000)` : '';
  return `${table}\n${page.items.length} row(s)${more}`;
}

async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(argv, process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`cli: ${err.message}\nrun \`npm run cli -- --help\` for usage`);
    return EXIT_USAGE;
  }
  if (options.help) {
    console.log(USAGE);
    return EXIT_OK;
  }
  try {
    if (options.follow) {
      const stop = new AbortController();
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
      await followAlerts(options.follow, { line: (t) => console.log(t), warn: (t) => console.error(`cli: ${t}`) }, stop.signal);
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
