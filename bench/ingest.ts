/**
 * Ingest throughput, end to end: events/s accepted AND acknowledged by Kafka (a 202 is sent only
 * after the Kafka transaction holding the request's events committed).
 *
 *   npm run bench:ingest [-- --duration 20] [--connections <16 × cores>] [--batch 500] [--instances <cores>]
 *
 * Starts the compiled ingest service (`npm run build` first) on a free port with a private topic
 * prefix, drives it with autocannon (batched NDJSON of `--batch` events per request, each request
 * distinct), then counts what reached the events topic and cleans up. The broker is the local one
 * (`npm run kafka:start`) or KAFKA_BROKERS.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { topicNames } from '@clickstream/contracts';
import { migrate } from '../libs/platform/src/database/migrate';

interface Args {
  duration: number;
  connections: number;
  batch: number;
  bodies: number;
  instances: number;
}

function parseArgs(argv: string[]): Args {
  // One ingest process per core, as README's scaling advice (Node runs a process's JS on one core),
  // each driven by 16 connections.
  const args: Args = { duration: 20, connections: 16 * cpus().length, batch: 500, bodies: 64, instances: cpus().length };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, '') as keyof Args;
    const value = Number(argv[i + 1]);
    if (!(flag in args) || !Number.isInteger(value) || value <= 0) {
      throw new Error(`bad flag ${argv[i]} ${argv[i + 1] ?? ''}: use --duration S --connections N --batch N --bodies N --instances N`);
    }
    args[flag] = value;
  }
  return args;
}

const freePort = () =>
  new Promise<number>((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });

/** A realistic ~250-byte event; every body is distinct (users, products, times). */
function body(seed: number, batch: number): string {
  const lines: string[] = [];
  const now = Date.now() - 3_600_000;
  const types = ['page_view', 'view', 'view', 'view', 'click', 'search', 'cart', 'purchase'];
  for (let i = 0; i < batch; i++) {
    const n = seed * batch + i;
    lines.push(
      JSON.stringify({
        event_time: new Date(now + n).toISOString(),
        event_type: types[n % types.length],
        user_id: `bench-user-${n % 5000}`,
        session_id: `s-${n % 20000}`,
        product_id: String(100000 + (n % 7919)),
        category_code: 'electronics.smartphone',
        brand: 'acme',
        price: (n % 1000) + 0.99,
        ip: `10.${n % 250}.${n % 200}.${n % 100}`,
        country: 'DE',
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench',
        page_url: `/p/${n % 7919}`,
      }),
    );
  }
  return lines.join('\n');
}

async function topicCount(kafka: Kafka, topic: string): Promise<{ records: number; unique: number }> {
  // High watermarks count records plus transaction markers: subtract one marker per committed
  // transaction per partition is not knowable, so count by consuming (read_committed).
  const consumer = kafka.consumer({ groupId: `bench-count-${randomBytes(4).toString('hex')}` });
  const admin = kafka.admin();
  await Promise.all([consumer.connect(), admin.connect()]);
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  let count = 0;
  const ids = new Set<string>();
  const reached = new Set<number>();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((done) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (reached.has(batch.partition)) return; // only re-deliveries after the end: not counted twice
        count += batch.messages.length;
        for (const m of batch.messages) ids.add((JSON.parse(m.value!.toString()) as { event_id: string }).event_id);
        // Positions move past control records too: done once every partition reached its end.
        if (BigInt(batch.lastOffset()) + 2n >= ends.get(batch.partition)!) reached.add(batch.partition);
        if (reached.size === ends.size) done();
      },
    });
  });
  await Promise.all([consumer.disconnect(), admin.disconnect()]);
  return { records: count, unique: ids.size };
}

/** Waits until the service has no events queued or in a Kafka flush (requests cut off by the stop). */
async function drained(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
    if (/^ingest_backlog_events(\{[^}]*\})? 0$/m.test(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not drain its producer backlog within 30 s`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/clickstream';
  await migrate(databaseUrl); // readiness checks Postgres too
  const prefix = `bench.${Date.now()}.`;
  // The young-generation size `npm run start:ingest` and compose use; BENCH_NODE_ARGS adds flags,
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service under load.
  const nodeArgs = ['--max-semi-space-size=64', ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  // Several instances, as replicas behind a load balancer: each is one Node process (one core).
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  for (let i = 0; i < args.instances; i++) {
    const port = await freePort();
    children.push(
      spawn(process.execPath, [...nodeArgs, resolve(__dirname, '../dist/services/ingest/src/main.js')], {
        env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers, KAFKA_TOPIC_PREFIX: prefix, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
    urls.push(`http://127.0.0.1:${port}`);
  }
  const kafka = new Kafka({ clientId: 'bench-ingest', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const topics = topicNames(prefix);
  try {
    for (const [n, url] of urls.entries()) {
      for (let i = 0; ; i++) {
        const ok = await fetch(`${url}/health/ready`).then((r) => r.ok, () => false);
        if (ok) break;
        if (i > 200 || children[n].exitCode !== null) throw new Error('ingest did not become ready (is it built? npm run build)');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const bodies = Array.from({ length: args.bodies }, (_, i) => body(i, args.batch));
    // Warm-up: JIT, producer connection, first transaction.
    for (const url of urls) {
      await autocannon({ url: `${url}/v1/events`, method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bodies[0], connections: 4, amount: 40 });
    }

    let next = 0;
    const perInstance = Math.max(1, Math.round(args.connections / urls.length));
    const results = await Promise.all(
      urls.map((url) =>
        autocannon({
          url: `${url}/v1/events`,
          method: 'POST',
          connections: perInstance,
          duration: args.duration,
          headers: { 'content-type': 'application/x-ndjson' },
          requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
        }),
      ),
    );
    const sum = (f: (r: autocannon.Result) => number) => results.reduce((acc, r) => acc + f(r), 0);
    const ok = sum((r) => r['2xx']);
    const accepted = ok * args.batch;
    const seconds = Math.max(...results.map((r) => r.duration));
    for (const url of urls) await drained(url);
    const counted = await topicCount(kafka, topics.events);
    const onTopic = counted.unique;
    // The warm-up's 40 requests per instance count too (ingest mints an event_id per event).
    const expectedOnTopic = accepted + urls.length * 40 * args.batch;

    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const latency = results.map((r) => `p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`).join('; ');
    console.log('');
    console.log(`command:      npm run bench:ingest -- --duration ${args.duration} --connections ${args.connections} --batch ${args.batch} --instances ${args.instances}`);
    console.log(`machine:      ${cpus().length} cores, node ${process.version}, broker ${brokers} (same machine); ${urls.length} ingest process(es), ${perInstance} connections each`);
    console.log(`requests:     ${fmt(ok)} x 202 (${sum((r) => r.non2xx)} non-2xx, ${sum((r) => r.errors)} errors, ${sum((r) => r.timeouts)} timeouts) in ${seconds.toFixed(1)} s`);
    console.log(`latency:      ${latency} per ${args.batch}-event request`);
    // Requests still in flight when autocannon stops were committed but not counted as answered.
    const inFlightMax = perInstance * urls.length * args.batch;
    console.log(`on the topic: ${fmt(counted.records)} records, ${fmt(onTopic)} distinct event_ids (acknowledged ${fmt(expectedOnTopic)} incl. warm-up, + at most ${fmt(inFlightMax)} in flight at the stop)`);
    console.log(`THROUGHPUT:   ${fmt(accepted / seconds)} events/s accepted and acknowledged by Kafka`);
    if (onTopic < expectedOnTopic || onTopic > expectedOnTopic + inFlightMax || onTopic % args.batch !== 0) {
      process.exitCode = 1;
      console.error('MISMATCH: events acknowledged and events on the topic differ');
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
