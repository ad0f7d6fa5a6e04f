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
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { ClickEventInput } from '@clickstream/contracts';
import { generateTraffic } from '../tools/generate/traffic-generator';
import { defineCommand, number, parseOrExit, UsageError, Values } from '../tools/shared/args';
import { BenchStack, PARTITIONS, processStats, quantile } from './shared/bench-stack';
import { FLOOD_EVENTS, FloodProbe, formatLatencies } from './shared/flood-probe';
import { sendPaced, SendResult } from './shared/paced-sender';

const MINUTE = 60_000;

export const FRAUD_COMMAND = defineCommand({
  invocation: 'npm run bench:fraud --',
  description: `Fraud detection latency (SPEC §7, target p99 < 250 ms): how long after an event enters the
system the alert it completes is visible to a read_committed consumer of clickstream.alerts.v1. Runs
ingest and one fraud-detector from dist/ (\`npm run build\` first) on their own database and topics.`,
  options: {
    duration: number({ min: 0, placeholder: 'S', default: 45, description: 'seconds of traffic' }),
    rate: number({
      min: 0,
      default: 5000,
      description: 'events/s through POST /v1/events, above --floods × 60',
    }),
    interval: number({
      min: 0,
      placeholder: 'MS',
      default: 100,
      description: 'ms between two NDJSON batches',
    }),
    floods: number({
      min: 0,
      default: 10,
      description: 'click floods per second (60 clicks in 1 s each, a new user)',
    }),
    warmup: number({
      min: 0,
      placeholder: 'S',
      default: 5,
      description: 'seconds of floods left out of the steady figures',
    }),
  },
  epilog: "BENCH_FRAUD_TRACE=<file> also writes each flood's latencies as CSV.",
  check: (args) => {
    if (args.floods * FLOOD_EVENTS >= args.rate) {
      throw new UsageError(
        `--floods: × ${FLOOD_EVENTS} must stay below --rate (got "${args.floods}")`,
        '--floods',
      );
    }
  },
});

type Args = Values<typeof FRAUD_COMMAND.options>;

/** Batches, mean batch processing and commit (Postgres) time, from the detector's /metrics. */
async function detectorStats(url: string): Promise<string> {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
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

async function main(): Promise<void> {
  const args = parseOrExit('bench:fraud', FRAUD_COMMAND).values;
  const stack = await BenchStack.create('fraud');
  const probe = new FloodProbe(stack);
  try {
    // Normal traffic, generated up front (event times are shifted to the wall clock when sent).
    const normalRate = args.rate - args.floods * FLOOD_EVENTS;
    const genStart = Math.ceil(Date.now() / MINUTE) * MINUTE;
    const normal: ClickEventInput[] = [
      ...generateTraffic({
        seed: 5,
        startTime: genStart,
        ratePerSecond: normalRate,
        durationSeconds: args.duration + 1,
        users: Math.ceil(normalRate * 12),
      }).events(),
    ];
    const ingest = await stack.start('ingest');
    const detector = await stack.start('fraud-detector');
    // The detector owns every events partition before the clock starts.
    await stack.claimed('fraud-detector');
    await probe.start();

    const cpuBefore = stack.services.map((svc) => processStats(svc.child.pid).cpuSeconds);
    const run = await sendPaced({
      ingestUrl: ingest.url,
      rate: args.rate,
      intervalMs: args.interval,
      durationS: args.duration,
      floodsPerSecond: args.floods,
      normal: normal[Symbol.iterator](),
      genStart,
      probe,
      stamp: stack.prefix,
    });
    const cpu = stack.services.map(
      (svc, i) => processStats(svc.child.pid).cpuSeconds - cpuBefore[i],
    );
    await probe.settle();
    await report(args, stack, probe, run, cpu, detector.url);
  } finally {
    await probe.stop();
    await stack.cleanup();
  }
}

async function report(
  args: Args,
  stack: BenchStack,
  probe: FloodProbe,
  run: SendResult,
  cpu: number[],
  detectorUrl: string,
): Promise<void> {
  const warm = run.t0 + args.warmup * 1000;
  const steady = probe.latencies(warm);
  const missing = probe.missing();
  console.log('');
  console.log(
    `command:   npm run bench:fraud -- --duration ${args.duration} --rate ${args.rate} --interval ${args.interval} --floods ${args.floods} --warmup ${args.warmup}`,
  );
  console.log(
    `machine:   ${cpus().length} cores, node ${process.version}, broker ${stack.brokers} and Postgres on the same machine; 1 fraud-detector, ${PARTITIONS} partitions`,
  );
  console.log(
    `replay:    ${run.sent.toLocaleString('en-US')} events accepted (${run.failed} failed) in ${run.elapsedS.toFixed(1)} s = ${Math.round(run.sent / run.elapsedS).toLocaleString('en-US')} events/s; batches every ${args.interval} ms, at most ${run.maxBehindMs} ms behind schedule`,
  );
  console.log(
    `floods:    ${probe.count} click floods (${FLOOD_EVENTS} clicks in 1 s each), ${missing} without an alert; ${probe.otherAlerts} other alerts`,
  );
  console.log(
    `latency (alert seen on clickstream.alerts.v1, read_committed − received_at of the 51st click):`,
  );
  console.log(`  after ${args.warmup} s warm-up: ${formatLatencies(steady)}`);
  console.log(`  all floods:        ${formatLatencies(probe.latencies())}`);
  console.log(
    `  of which received_at → detected_at (ingest, Kafka, detector fetch + processing): ${formatLatencies(probe.latencies(warm, 'to-detected'))}`,
  );
  console.log(
    `  and detected_at → seen (Postgres commit, outbox Kafka transaction, alert consumer): ${formatLatencies(probe.latencies(warm, 'detected-to-seen'))}`,
  );
  console.log(
    `CPU during the replay: ingest ${cpu[0].toFixed(1)} s, fraud-detector ${cpu[1].toFixed(1)} s of ${run.elapsedS.toFixed(1)} s wall (load average ${loadavg()[0].toFixed(2)})`,
  );
  console.log(`fraud-detector: ${await detectorStats(detectorUrl)}`);
  // BENCH_FRAUD_TRACE=<file>: one CSV line per flood, to see whether the tail is spread or clustered.
  if (process.env.BENCH_FRAUD_TRACE) {
    const lines = ['at_ms,total_ms,to_detected_ms,detected_to_seen_ms', ...probe.trace(run.t0)];
    writeFileSync(process.env.BENCH_FRAUD_TRACE, `${lines.join('\n')}\n`);
  }
  const p99 = quantile(steady, 0.99);
  console.log(
    `SPEC §7 target p99 < 250 ms: ${p99 < 250 ? 'met' : 'MISSED'} (p99 ${p99.toFixed(0)} ms)`,
  );
  if (missing > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
