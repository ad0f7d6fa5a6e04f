/**
 * The main job, end to end on this machine: `npm run demo`.
 *
 *   npm run demo [-- --events N] [--rate R] [--keep]
 *
 *  1. Kafka: the local KRaft broker (`npm run kafka:start`'s), or KAFKA_BROKERS when set
 *  2. Postgres: a fresh `clickstream_demo` database (DATABASE_URL's server), migrated
 *  3. the five services from dist/ on their default ports, topics under a fresh prefix
 *  4. N generated events (users, sessions, funnels, every SPEC §7 fraud pattern, ending now) through
 *     the ingest API, with a progress bar
 *  5. waits until every processor has committed every offset, then prints the overview, windows,
 *     top products and alerts through the metrics API (the same one `npm run cli` uses)
 *  6. stops the services and deletes the run's topics (the broker and the database stay), or with
 *     --keep leaves them running until Ctrl-C
 */
import { ChildProcess, spawn } from 'node:child_process';
import { SingleBar } from 'cli-progress';
import { Pool } from 'pg';
import { topicNames } from '@clickstream/contracts';
import { dropDatabase, ensureDatabase, migrate } from '../../libs/platform/src/database/migrate';
import { renderAlerts, renderOverview } from '../cli/render';
import { renderTable } from '../cli/table';
import { FRAUD_PATTERNS, generateTraffic } from '../generate/traffic-generator';
import { localKafkaOptions, startBroker } from '../kafka/local-kafka';
import { defineCommand, flag, integer, number, parseOrExit, Values } from '../shared/args';
import { logEndOffsets } from '../shared/log-end-offsets';
import { quietKafka } from '../shared/quiet-kafka';
import { serviceArgv } from '../shared/service-launch';

const SERVICES = [
  ['ingest', 3001],
  ['sessionizer', 3002],
  ['aggregator', 3003],
  ['fraud-detector', 3004],
  ['metrics', 3005],
] as const;
const PROCESSORS = ['sessionizer', 'aggregator', 'fraud-detector'];

export const DEMO_COMMAND = defineCommand({
  invocation: 'npm run demo --',
  description: `The main job, end to end on this machine: the local broker (or KAFKA_BROKERS), a fresh Postgres
database clickstream_demo, the five services from dist/, generated events (every fraud pattern, ending now)
through ingest; then the overview, windows, top products and alerts through the metrics API.`,
  options: {
    events: integer({ min: 1000, default: 30_000, description: 'events to generate' }),
    rate: number({
      greaterThan: 0,
      placeholder: 'R',
      default: 20,
      description: 'events/s of event time',
    }),
    keep: flag({ description: 'leave the services and topics running until Ctrl-C' }),
  },
});

type Args = Values<typeof DEMO_COMMAND.options>;

const log = (line: string) => process.stdout.write(`[demo] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const args = parseOrExit('demo', DEMO_COMMAND).values;
  const broker = await startBroker(localKafkaOptions(), log);
  const db = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  db.pathname = '/clickstream_demo';
  const dbUrl = db.toString();
  await dropDatabase(dbUrl).catch(() => undefined);
  await ensureDatabase(dbUrl);
  await migrate(dbUrl);
  log(`Postgres database clickstream_demo created and migrated`);

  const prefix = `demo-${Date.now()}.`;
  const env = {
    ...process.env,
    KAFKA_BROKERS: broker.brokers,
    DATABASE_URL: dbUrl,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  const children: ChildProcess[] = [];
  const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.once('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  try {
    for (const [name, port] of SERVICES) {
      children.push(
        spawn(process.execPath, serviceArgv(name), {
          env: { ...env, HTTP_PORT: String(port) },
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
      );
      await waitHttp(`http://127.0.0.1:${port}/health/ready`, name);
    }
    log(
      `services ready: ${SERVICES.map(([n, p]) => `${n} :${p}`).join(', ')}; topics prefixed ${prefix}`,
    );

    const sent = await replay(args);
    log(`${sent.toLocaleString()} events accepted by ingest; waiting for the processors`);
    await caughtUp(broker.brokers, prefix, dbUrl);
    await report();
    if (args.keep) {
      log(
        'services keep running (Ctrl-C stops them): try `npm run cli -- overview`, http://127.0.0.1:3005/docs',
      );
      await new Promise(() => undefined);
    }
  } finally {
    stopAll();
    // The database stays for inspection (`psql clickstream_demo`); the run's topics go.
    if (!args.keep) await deleteTopics(broker.brokers, prefix);
  }
}

async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const admin = quietKafka('demo', brokers).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicNames(prefix)) }).catch(() => undefined);
  await admin.disconnect();
}

async function waitHttp(url: string, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(250);
  }
  throw new Error(
    `${name} did not become ready at ${url} within 60 s (is the port taken? run with the default ports free)`,
  );
}

/** Generated traffic ending now, every fraud pattern injected, posted in batches of 2,000. */
async function replay(args: Args): Promise<number> {
  const startTime = Date.now() - Math.ceil(args.events / args.rate) * 1000;
  const gen = generateTraffic({
    seed: 42,
    startTime,
    ratePerSecond: args.rate,
    count: args.events,
    fraud: FRAUD_PATTERNS,
    nearMiss: true,
    disorderMs: 30_000,
  });
  const bar = new SingleBar({
    format: '[demo] ingest {bar} {value}/{total} events | {rate} events/s',
    hideCursor: true,
  });
  bar.start(gen.totalEvents, 0, { rate: 0 });
  const started = Date.now();
  let batch: unknown[] = [];
  let accepted = 0;
  const flush = async () => {
    const res = await fetch('http://127.0.0.1:3001/v1/events', {
      method: 'POST',
      body: JSON.stringify(batch),
      headers: { 'content-type': 'application/json' },
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    accepted += ((await res.json()) as { accepted: number }).accepted;
    bar.update(accepted, { rate: Math.round(accepted / ((Date.now() - started) / 1000)) });
    batch = [];
  };
  for (const e of gen.events()) {
    batch.push(e);
    if (batch.length === 2000) await flush();
  }
  if (batch.length) await flush();
  bar.stop();
  return accepted;
}

/** Every processor committed (in Postgres) every offset of the events topic. */
async function caughtUp(brokers: string, prefix: string, dbUrl: string): Promise<void> {
  const pool = new Pool({ connectionString: dbUrl, max: 1 });
  const topic = `${prefix}clickstream.events.v1`;
  try {
    const deadline = Date.now() + 300_000;
    for (;;) {
      // The high watermark: kafkajs' end (the last stable offset) can trail ingest's last 202.
      const end = [...(await logEndOffsets(brokers, topic)).values()].reduce(
        (n, o) => n + Number(o),
        0,
      );
      const { rows } = await pool.query<{ group_id: string; n: string }>(
        `SELECT group_id, sum(next_offset) AS n FROM stream_offsets WHERE topic = $1 AND group_id = ANY($2) GROUP BY group_id`,
        [topic, PROCESSORS.map((p) => `${prefix}clickstream-${p}`)],
      );
      if (rows.length === PROCESSORS.length && rows.every((r) => Number(r.n) >= end)) return;
      if (Date.now() > deadline)
        throw new Error(
          `processors did not catch up within 5 min: ${JSON.stringify(rows)} of ${end}`,
        );
      await sleep(500);
    }
  } finally {
    await pool.end();
  }
}

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:3005${path}`);
  if (!res.ok) throw new Error(`metrics ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function report(): Promise<void> {
  const now = Date.now();
  const from = new Date(now - 2 * 3_600_000).toISOString();
  const to = new Date(now + 60_000).toISOString();
  console.log(`\nOverview (GET /v1/overview)\n${renderOverview(await api('/v1/overview'))}`);
  const windows = await api<{ items: Array<Record<string, string | number | boolean | null>> }>(
    `/v1/windows?size=5m&dimension=all&from=${from}&to=${to}&limit=1000`,
  );
  console.log(
    `\nLast 5 min windows (GET /v1/windows?size=5m)\n${renderTable(
      [
        'window_start',
        'events',
        'unique_users',
        'views',
        'purchases',
        'revenue',
        'conversion_rate',
        'final',
      ],
      windows.items
        .slice(-8)
        .map((w) => [
          w.window_start,
          w.events,
          w.unique_users,
          w.views,
          w.purchases,
          w.revenue,
          Number(w.conversion_rate).toFixed(4),
          w.final,
        ]),
    )}`,
  );
  const products = await api<{ items: Array<Record<string, string | number | boolean | null>> }>(
    `/v1/top-products?from=${from}&to=${to}&by=revenue&limit=5`,
  );
  console.log(
    `\nTop products by revenue (GET /v1/top-products)\n${renderTable(
      ['product_id', 'views', 'carts', 'purchases', 'revenue'],
      products.items.map((p) => [p.product_id, p.views, p.carts, p.purchases, p.revenue]),
    )}`,
  );
  const alerts = await api<{ items: Parameters<typeof renderAlerts>[0] }>(
    `/v1/alerts?from=${from}&to=${to}&limit=20`,
  );
  console.log(`\nAlerts (GET /v1/alerts, newest 20)\n${renderAlerts(alerts.items)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`[demo] failed: ${err.message}`);
      process.exit(1);
    },
  );
}
