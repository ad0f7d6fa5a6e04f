/**
 * Fraud detection latency (SPEC §7, target p99 < 250 ms): how long after an event enters the system
 * the alert it completes is visible to a read_committed consumer of clickstream.alerts.v1.
 *
 *   npm run bench:fraud [-- --duration 45] [--rate 5000] [--interval 100] [--floods 10] [--warmup 5]
 *   BENCH_FRAUD_TRACE=/tmp/floods.csv npm run bench:fraud   (also writes each flood's latencies)
 *
 * One run:
 *  1. setup    own database (migrated) and topic prefix (6 partitions); `npm run build` must have run
 *  2. start    ingest and ONE fraud-detector from dist/ as child processes; waits until both answer
 *              /health/ready and the detector has claimed every events partition
 *  3. replay   generated traffic (tools/generate, no injected patterns, event time = wall clock) at a
 *              fixed `--rate` events/s through POST /v1/events: one NDJSON batch every `--interval` ms,
 *              without waiting for the previous answer. `--floods` click floods per second are mixed in:
 *              each a new user with 60 clicks spread over 1 s (10 batches), inside one minute, so the
 *              51st click crosses the click_flood threshold (> 50 per 1 min window)
 *  4. measure  a read_committed consumer of the events topic finds each flood's triggering event (its
 *              51st click in partition order, as the detector counts) and its `received_at` (set by
 *              ingest when the request arrived); a read_committed consumer of the alerts topic notes
 *              when each click_flood alert is seen. latency = seen − received_at (same machine clock)
 *  5. report   p50 / p90 / p99 / max over the floods after the warm-up seconds (and over all floods),
 *              the achieved send rate, and what was missing
 *  6. cleanup  stop the services, delete topics and groups, drop the database
 */
import { spawn, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { ClickEventInput, topicNames, topicSpecs } from '@clickstream/contracts';
import { dropDatabase, ensureDatabase, migrate } from '../libs/platform/src/database/migrate';
import { generateTraffic } from '../tools/generate/traffic-generator';

const ROOT = resolve(__dirname, '..');
const PARTITIONS = 6;
const FLOOD_EVENTS = 60;
const FLOOD_THRESHOLD = 50;
const FLOOD_SPREAD_TICKS = 10;
const MINUTE = 60_000;

interface Args {
  duration: number;
  rate: number;
  interval: number;
  floods: number;
  warmup: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { duration: 45, rate: 5000, interval: 100, floods: 10, warmup: 5 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, '') as keyof Args;
    const value = Number(argv[i + 1]);
    if (!(flag in a) || !Number.isFinite(value) || value < 0) {
      throw new Error(`bad flag ${argv[i]} ${argv[i + 1] ?? ''}: use --duration S --rate N --interval MS --floods N --warmup S`);
    }
    a[flag] = value;
  }
  if (a.floods * FLOOD_EVENTS >= a.rate) throw new Error('--floods × 60 must stay below --rate');
  return a;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise<number>((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });

interface Service {
  child: ChildProcess;
  url: string;
}

async function startService(name: string, env: NodeJS.ProcessEnv): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(ROOT, 'dist/services', name, 'src/main.js')], {
    env: { ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} (is it built? npm run build)`);
    if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) return { child, url };
    if (i > 600) throw new Error(`${name} not ready after 60 s`);
    await sleep(100);
  }
}

/** CPU seconds (user + system) a child process has used so far (Linux /proc). */
function cpuSeconds(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Batches, mean batch processing and commit (Postgres) time, from the detector's /metrics. */
async function detectorStats(url: string): Promise<string> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((acc, l) => acc + Number(l.split(' ').pop()), 0);
  const batches = sum('fraud_detector_batch_duration_seconds_count');
  const commits = sum('fraud_detector_commit_duration_seconds_count');
  const ms = (s: number, n: number) => `${((s / n) * 1000).toFixed(1)} ms`;
  return (
    `${batches} batches (${Math.round(sum('fraud_detector_events_processed_total') / Math.max(1, batches))} records each on average), ` +
    `processing ${ms(sum('fraud_detector_batch_duration_seconds_sum'), batches)} and Postgres commit ${ms(sum('fraud_detector_commit_duration_seconds_sum'), commits)} per batch on average`
  );
}

function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

interface Flood {
  user: string;
  /** Wall-clock ms the flood's first batch was due. */
  startedAt: number;
  /** received_at of its 51st click, as the detector sees the partition. */
  triggerReceivedAt?: number;
  alertSeenAt?: number;
  /** The detector's wall clock when it processed the trigger (the alert's detected_at). */
  detectedAt?: number;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const stamp = `${Date.now()}`;
  const prefix = `bench-fraud-${stamp}.`;
  const topics = topicNames(prefix);
  const appId = `${prefix}clickstream-fraud-detector`;
  const dbUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  dbUrl.pathname = `/clickstream_bench_fraud_${stamp}`;
  const url = dbUrl.toString();
  const kafka = new Kafka({ clientId: 'bench-fraud', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await ensureDatabase(url);
  await migrate(url);
  const pool = new Pool({ connectionString: url, max: 2 });
  const services: Service[] = [];
  const groups = [appId, `${appId}.outbox`];
  const consumers: Array<ReturnType<Kafka['consumer']>> = [];
  try {
    await admin.createTopics({ topics: topicSpecs({ partitions: PARTITIONS, replicationFactor: 1, prefix }), waitForLeaders: true });
    const env = {
      ...process.env,
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      DATABASE_URL: url,
      LOG_LEVEL: 'warn',
    };

    // Normal traffic, generated up front (event times are shifted to the wall clock when sent).
    const normalRate = args.rate - args.floods * FLOOD_EVENTS;
    const genStart = Math.ceil(Date.now() / MINUTE) * MINUTE;
    const normal: ClickEventInput[] = [
      ...generateTraffic({ seed: 5, startTime: genStart, ratePerSecond: normalRate, durationSeconds: args.duration + 1, users: Math.ceil(normalRate * 12) }).events(),
    ];

    services.push(await startService('ingest', env));
    services.push(await startService('fraud-detector', env));
    const [ingest] = services;
    // The detector owns every events partition before the clock starts.
    for (let i = 0; ; i++) {
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM stream_offsets WHERE group_id = $1 AND topic = $2`, [appId, topics.events]);
      if (Number(rows[0].n) >= PARTITIONS) break;
      if (i > 600) throw new Error('fraud-detector did not claim the events partitions within 60 s');
      await sleep(100);
    }

    // Consumers: the triggering events and the alerts, both read_committed.
    const floods = new Map<string, Flood>();
    const counts = new Map<string, number>();
    const eventsGroup = `${prefix}bench-events`;
    const alertsGroup = `${prefix}bench-alerts`;
    groups.push(eventsGroup, alertsGroup);
    const events = kafka.consumer({ groupId: eventsGroup, maxWaitTimeInMs: 50, maxBytesPerPartition: 4 * 1024 * 1024 });
    const alerts = kafka.consumer({ groupId: alertsGroup, maxWaitTimeInMs: 20 });
    consumers.push(events, alerts);
    let otherAlerts = 0;
    await Promise.all([events.connect(), alerts.connect()]);
    await events.subscribe({ topic: topics.events, fromBeginning: true });
    await alerts.subscribe({ topic: topics.alerts, fromBeginning: true });
    await events.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const user = m.key?.toString() ?? '';
          if (!user.startsWith('flood-')) continue;
          const n = (counts.get(user) ?? 0) + 1;
          counts.set(user, n);
          if (n !== FLOOD_THRESHOLD + 1) continue;
          const f = floods.get(user);
          if (f) f.triggerReceivedAt = Date.parse((JSON.parse(m.value!.toString()) as { received_at: string }).received_at);
        }
      },
    });
    await alerts.run({
      eachMessage: async ({ message }) => {
        const seenAt = Date.now();
        const alert = JSON.parse(message.value!.toString()) as { rule: string; user_id: string | null; detected_at: string };
        const f = alert.user_id ? floods.get(alert.user_id) : undefined;
        if (alert.rule === 'click_flood' && f && f.alertSeenAt === undefined) {
          f.alertSeenAt = seenAt;
          f.detectedAt = Date.parse(alert.detected_at);
        } else otherAlerts++;
      },
    });
    // Both consumers joined and positioned before the first event.
    await sleep(3000);

    const cpu0 = services.map((svc) => cpuSeconds(svc.child));
    // Replay: one batch per interval on a fixed schedule, requests not awaited one by one.
    const ticks = Math.round((args.duration * 1000) / args.interval);
    const perTick = normalRate / (1000 / args.interval);
    const floodEvery = 1000 / args.floods / args.interval; // ticks between two flood starts
    const active: Array<{ user: string; left: number }> = [];
    const inflight = new Set<Promise<void>>();
    let sent = 0;
    let failed = 0;
    let maxBehind = 0;
    let floodNo = 0;
    let normalIdx = 0;
    let nextFlood = 0;
    const t0 = Date.now() + 200;
    for (let k = 0; k < ticks; k++) {
      const due = t0 + k * args.interval;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      maxBehind = Math.max(maxBehind, Date.now() - due);
      const now = Date.now();
      const lines: string[] = [];
      const take = Math.round((k + 1) * perTick) - Math.round(k * perTick);
      for (let i = 0; i < take && normalIdx < normal.length; i++, normalIdx++) {
        const e = normal[normalIdx];
        // Generated event time, moved onto the wall clock of the run.
        const shifted = t0 + (Date.parse(String(e.event_time)) - genStart);
        lines.push(JSON.stringify({ ...e, event_time: new Date(Math.min(shifted, now)).toISOString() }));
      }
      // A flood starts only when its second of clicks stays inside one minute window and the run.
      if (k >= nextFlood && k + FLOOD_SPREAD_TICKS <= ticks) {
        nextFlood += floodEvery;
        const end = now + FLOOD_SPREAD_TICKS * args.interval + 500;
        if (Math.floor(now / MINUTE) === Math.floor(end / MINUTE)) {
          const user = `flood-${stamp}-${floodNo++}`;
          floods.set(user, { user, startedAt: due });
          active.push({ user, left: FLOOD_EVENTS });
        }
      }
      for (const f of active) {
        const n = Math.min(f.left, Math.ceil(FLOOD_EVENTS / FLOOD_SPREAD_TICKS));
        for (let i = 0; i < n; i++) lines.push(JSON.stringify({ event_time: new Date(now).toISOString(), event_type: 'click', user_id: f.user, ip: '203.0.113.7', country: 'US' }));
        f.left -= n;
      }
      for (let i = active.length - 1; i >= 0; i--) if (active[i].left === 0) active.splice(i, 1);
      const count = lines.length;
      const p: Promise<void> = fetch(`${ingest.url}/v1/events`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } }).then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status === 202) sent += count;
          else failed += count;
        },
        () => {
          failed += count;
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await Promise.all(inflight);
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = services.map((svc, i) => cpuSeconds(svc.child) - cpu0[i]);

    // Every flood's alert and trigger, or 30 s.
    const list = [...floods.values()];
    for (let i = 0; i < 300 && list.some((f) => f.alertSeenAt === undefined || f.triggerReceivedAt === undefined); i++) await sleep(100);

    const measured = (from: number, span: (f: Required<Flood>) => number = (f) => f.alertSeenAt - f.triggerReceivedAt) =>
      list
        .filter((f) => f.startedAt >= from && f.alertSeenAt !== undefined && f.triggerReceivedAt !== undefined)
        .map((f) => span(f as Required<Flood>))
        .sort((a, b) => a - b);
    const warm = t0 + args.warmup * 1000;
    const all = measured(0);
    const steady = measured(warm);
    const fmt = (xs: number[]) =>
      `n=${xs.length}  p50 ${quantile(xs, 0.5).toFixed(0)} ms  p90 ${quantile(xs, 0.9).toFixed(0)} ms  p99 ${quantile(xs, 0.99).toFixed(0)} ms  max ${xs.length ? xs[xs.length - 1] : NaN} ms`;
    const missing = list.filter((f) => f.alertSeenAt === undefined).length;
    console.log('');
    console.log(`command:   npm run bench:fraud -- --duration ${args.duration} --rate ${args.rate} --interval ${args.interval} --floods ${args.floods} --warmup ${args.warmup}`);
    console.log(`machine:   ${cpus().length} cores, node ${process.version}, broker ${brokers} and Postgres on the same machine; 1 fraud-detector, ${PARTITIONS} partitions`);
    console.log(`replay:    ${sent.toLocaleString('en-US')} events accepted (${failed} failed) in ${elapsed.toFixed(1)} s = ${Math.round(sent / elapsed).toLocaleString('en-US')} events/s; batches every ${args.interval} ms, at most ${maxBehind} ms behind schedule`);
    console.log(`floods:    ${list.length} click floods (${FLOOD_EVENTS} clicks in 1 s each), ${missing} without an alert; ${otherAlerts} other alerts`);
    console.log(`latency (alert seen on clickstream.alerts.v1, read_committed − received_at of the 51st click):`);
    console.log(`  after ${args.warmup} s warm-up: ${fmt(steady)}`);
    console.log(`  all floods:        ${fmt(all)}`);
    console.log(`  of which received_at → detected_at (ingest, Kafka, detector fetch + processing): ${fmt(measured(warm, (f) => f.detectedAt - f.triggerReceivedAt))}`);
    console.log(`  and detected_at → seen (Postgres commit, outbox Kafka transaction, alert consumer): ${fmt(measured(warm, (f) => f.alertSeenAt - f.detectedAt))}`);
    console.log(`CPU during the replay: ingest ${cpu[0].toFixed(1)} s, fraud-detector ${cpu[1].toFixed(1)} s of ${elapsed.toFixed(1)} s wall (load average ${loadavg()[0].toFixed(2)})`);
    console.log(`fraud-detector: ${await detectorStats(services[1].url)}`);
    // BENCH_FRAUD_TRACE=<file>: one CSV line per flood, to see whether the tail is spread or clustered.
    if (process.env.BENCH_FRAUD_TRACE) {
      const lines = list
        .filter((f) => f.alertSeenAt !== undefined && f.triggerReceivedAt !== undefined)
        .map((f) => [f.triggerReceivedAt! - t0, f.alertSeenAt! - f.triggerReceivedAt!, f.detectedAt! - f.triggerReceivedAt!, f.alertSeenAt! - f.detectedAt!].join(','));
      writeFileSync(process.env.BENCH_FRAUD_TRACE, ['at_ms,total_ms,to_detected_ms,detected_to_seen_ms', ...lines].join('\n') + '\n');
    }
    const p99 = quantile(steady, 0.99);
    console.log(`SPEC §7 target p99 < 250 ms: ${p99 < 250 ? 'met' : 'MISSED'} (p99 ${p99.toFixed(0)} ms)`);
    if (missing > 0) process.exitCode = 1;
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    for (const s of services) s.child.kill('SIGTERM');
    await Promise.all(services.map((s) => (s.child.exitCode === null ? new Promise((r) => s.child.once('exit', r)) : undefined)));
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    await pool.end();
    await dropDatabase(url).catch(() => undefined);
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
