/**
 * Query API latency on a day of results: p50/p99 of GET /v1/overview and of a one-day
 * GET /v1/windows?size=1m (limit 1000: the first page of 1440 windows; and the whole day, 2 pages).
 *
 *   npm run build && npm run bench:api [-- --requests 1000] [--concurrency 8]
 *
 * Creates a throw-away database clickstream_bench_api_<rand>, seeds it in SQL with ~1M events'
 * worth of results (24 h of 1m/5m/1h windows × 9 dimensions × 6 partitions, 1000 products per
 * hour and partition, 300k sessions, 5000 alerts), starts the compiled metrics service on it, runs
 * the requests sequentially and then `--concurrency` at a time, and drops the database at the end.
 * Target: p99 < 50 ms.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { dropDatabase, migrate } from '../libs/platform/src/database/migrate';
import { defineCommand, integer, parseOrExit } from '../tools/shared/args';
import { SeedOptions, seedMetricsData } from './api-seed';
import { serviceArgv } from '../tools/shared/service-launch';
import { freePort } from './shared/free-port';

export const API_COMMAND = defineCommand({
  invocation: 'npm run bench:api --',
  description: `Query API latency on a day of results (a throw-away database seeded with ~1M events' worth):
p50/p99 of GET /v1/overview and of a one-day GET /v1/windows?size=1m, sequentially and then
--concurrency at a time. Runs the compiled metrics service: \`npm run build\` first.`,
  options: {
    requests: integer({
      min: 1,
      default: 1000,
      description: 'requests per scenario and concurrency',
    }),
    concurrency: integer({
      min: 1,
      default: 8,
      description: 'requests at a time in the second run',
    }),
  },
  epilog:
    'TEST_DATABASE_URL picks the Postgres server (default postgres://postgres@127.0.0.1:5432/postgres).',
});

/** A day of results: what the log line reports is derived from it. */
const SEEDED: Omit<SeedOptions, 'end'> = {
  hours: 24,
  partitions: 6,
  products: 1000,
  sessions: 300_000,
  alerts: 5000,
};
/** One row per product, hour and partition. */
const productRows = SEEDED.hours * SEEDED.partitions * SEEDED.products;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(url: string): Promise<{ ms: number; body: { next_cursor?: string | null } }> {
  const started = process.hrtime.bigint();
  const res = await fetch(url);
  const body = (await res.json()) as { next_cursor?: string | null };
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, body };
}

/** Runs `one` n times, `concurrency` at a time; returns sorted latencies. */
async function measure(
  n: number,
  concurrency: number,
  one: () => Promise<number>,
): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next++ < n) out.push(await one());
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out.sort((a, b) => a - b);
}

async function waitReady(base: string, child: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`metrics exited ${child.exitCode}`);
    const ok = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('metrics did not start within 60 s');
}

async function main(): Promise<void> {
  const args = parseOrExit('bench:api', API_COMMAND).values;
  const base = new URL(
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  base.pathname = `/clickstream_bench_api_${randomBytes(4).toString('hex')}`;
  const url = base.toString();
  let child: ReturnType<typeof spawn> | undefined;
  try {
    await migrate(url);
    const pool = new Pool({ connectionString: url, max: 2 });
    const seedStarted = Date.now();
    // The day ends at the next full hour, so "now" (overview) lies inside the seeded windows.
    await seedMetricsData(pool, { ...SEEDED, end: new Date(Date.now() + 3_600_000) });
    await pool.query('VACUUM ANALYZE');
    const { rows } = await pool.query<{ events: string; windows: string }>(
      `SELECT sum(events) FILTER (WHERE window_size = '1m' AND dimension = 'all') AS events, count(*) AS windows FROM window_aggregates`,
    );
    await pool.end();
    console.log(
      `seeded ${url.split('/').pop()} in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s: ${rows[0].events} events in ${rows[0].windows} window rows, ${SEEDED.sessions} sessions, ${productRows} product rows, ${SEEDED.alerts} alerts`,
    );

    const port = await freePort();
    child = spawn(process.execPath, serviceArgv('metrics'), {
      env: {
        ...process.env,
        DATABASE_URL: url,
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: 'bench-api.',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const api = `http://127.0.0.1:${port}`;
    await waitReady(api, child);

    const to = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const from = new Date(to.getTime() - 86_400_000);
    const day = `${api}/v1/windows?size=1m&from=${from.toISOString()}&to=${to.toISOString()}&limit=1000`;
    const scenarios: Array<[string, () => Promise<number>]> = [
      ['GET /v1/overview', async () => (await timed(`${api}/v1/overview`)).ms],
      [
        'GET /v1/windows?size=1m, one day, first page (1000 windows)',
        async () => (await timed(day)).ms,
      ],
      [
        'GET /v1/windows?size=1m, one day, both pages (1440 windows)',
        async () => {
          const first = await timed(day);
          const second = await timed(`${day}&cursor=${first.body.next_cursor}`);
          return first.ms + second.ms;
        },
      ],
    ];
    for (const [name, one] of scenarios) {
      await measure(50, 1, one); // warm-up: JIT, pool connections, Postgres caches
      for (const concurrency of [1, args.concurrency]) {
        const started = Date.now();
        const lat = await measure(args.requests, concurrency, one);
        const rps = (args.requests / ((Date.now() - started) / 1000)).toFixed(0);
        console.log(
          `${name.padEnd(60)} concurrency ${String(concurrency).padStart(2)}: p50 ${percentile(lat, 50).toFixed(1)} ms  p99 ${percentile(lat, 99).toFixed(1)} ms  max ${lat[lat.length - 1].toFixed(1)} ms  (${rps} req/s)`,
        );
      }
    }
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await dropDatabase(url);
    console.log('database dropped');
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(1);
  });
}
