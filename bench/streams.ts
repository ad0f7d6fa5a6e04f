/**
 * Throughput benchmark of libs/streams against the real local broker and Postgres.
 *
 *   npm run bench:streams [-- --events N] [--max-bytes B] [--chunk C] [--users U] [--partitions P]
 *                            [--step-ms S] [--produce-chunk K] [--timeout S] [--keep] [--no-verify]
 *   BENCH_MARKS=1 prints monotonic µs marks around the streams phase (to cut a --cpu-prof profile).
 *   Options: bench/streams/options.ts (`npm run bench:streams -- --help`).
 *
 * One run:
 *  1. setup     unique database `clickstream_bench_<ts>` (migrated), input topic (6 partitions), output topic
 *  2. produce   N JSON events (~150 bytes, {user, ts, n, pad}) keyed by user, event time increasing
 *  3. raw       a fresh kafkajs consumer group reads the topic from the beginning and JSON.parses every
 *               value (eachBatch). Timing starts when the FIRST batch arrives (excludes connect + group
 *               join) and stops when all N records were parsed: events/s = N / elapsed.
 *  4. streams   a StreamsApp runs a windowed count (1 min tumbling windows per user, emit 'final', to the
 *               output topic) over the same topic from the beginning; progress is the sum of committed
 *               offsets in Postgres (`stream_offsets`), polled every 50 ms. Two rates:
 *                 "from start()":  N / (all committed - before start())       (includes join + task claim)
 *                 "steady state":  (N - p0) / (all committed - first poll seeing p0 > 0)
 *               The raw baseline is compared with the steady-state rate (both exclude the group join).
 *  5. verify    reads the output topic (read_committed) and checks every emitted window against the
 *               expected result computed at produce time: exactly once, right count and sum (--no-verify).
 *  6. report    rates, ratio, node CPU use, per-phase timings of the streams batches, commit histogram.
 *  7. cleanup   stop the app, delete topics and consumer groups, drop the database.
 *
 * The app runs with allowedLatenessMs 120 s (the default) and idleTimeoutMs 1 h, so only event time
 * closes windows and the expected output is exact.
 *
 * Uses the consumer's maxBytesPerPartition for BOTH the raw and the streams consumer, so the
 * baseline reads batches of the same size.
 *
 * The phases live under bench/streams/: workload.ts (events, expected output, produce),
 * consumers.ts (raw baseline, read-back and check), streams-phase.ts (the app and its progress),
 * phase-timer.ts (timings inside the runtime), report.ts, bench-run.ts (setup and cleanup).
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseOrExit } from '../tools/shared/args';
import { BenchRun, LATENESS_MS, runNames } from './streams/bench-run';
import { RawResult, rawConsume, verifyOutput } from './streams/consumers';
import { fmt, log, ms } from './streams/format';
import { STREAMS_COMMAND, StreamsBenchArgs } from './streams/options';
import { printReport } from './streams/report';
import { runStreams } from './streams/streams-phase';
import { produce, TARGET_BYTES } from './streams/workload';

async function main(): Promise<void> {
  const args = parseOrExit('bench:streams', STREAMS_COMMAND).values;
  const stamp = Date.now();
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
  const names = runNames(stamp, process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432');
  printHeader(args, brokers, names.dbUrl);
  const run = new BenchRun(args, names, brokers, stamp);
  const onSigint = () => {
    console.error('interrupted: cleaning up');
    void run.cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSigint);
  let failed = false;
  try {
    await measure(run);
  } catch (err) {
    failed = true;
    console.error(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  } finally {
    process.off('SIGINT', onSigint);
    if (!(await run.cleanup())) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

/** Phases 1 to 6; cleanup is the caller's. */
async function measure(run: BenchRun): Promise<void> {
  const { args, names, kafka } = run;
  const pool = await run.setup();
  const expectation = await produce(kafka, run.admin, names.input, args, LATENESS_MS);
  const raw = await rawConsume(
    kafka,
    names.input,
    names.rawGroup,
    args.events,
    args.maxBytes,
    args.timeout,
  );
  printRaw(args.events, raw);
  const streams = await runStreams(run, pool);
  const verdict = args.noVerify
    ? 'skipped (--no-verify)'
    : await verifyOutput(
        kafka,
        names.output,
        names.verifyGroup,
        expectation.closed(),
        streams.windowsOut,
      );
  log(`verify:    ${verdict}`);
  await printReport(args.events, raw, streams, run.registry);
}

function printHeader(args: StreamsBenchArgs, brokers: string[], dbUrl: string): void {
  const load = loadavg()
    .map((average) => average.toFixed(2))
    .join(' ');
  log(`# streams benchmark`);
  log(`command:   ${['tsx', 'bench/streams.ts', ...process.argv.slice(2)].join(' ')}`);
  log(
    `machine:   nproc ${cpus().length} (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}, ${process.platform}/${process.arch}, load avg ${load}`,
  );
  log(`services:  kafka ${brokers.join(',')} (same machine), postgres ${dbUrl}`);
  log(
    `workload:  ${fmt(args.events)} events, ${args.users} users, ${args.partitions} partitions, event time +${args.stepMs} ms/event ` +
      `(${((args.events * args.stepMs) / 60_000).toFixed(0)} min of event time), ~${TARGET_BYTES} B JSON`,
  );
  log(
    `consumer:  maxBytesPerPartition ${fmt(args.maxBytes)} (raw and streams), streams chunkSize ${args.chunk}`,
  );
  log('');
}

function printRaw(events: number, raw: RawResult): void {
  log(
    `raw:       ${fmt(events)} parsed in ${ms(raw.elapsedMs)} after the first batch (+${ms(raw.joinMs)} connect/join before it), ` +
      `${raw.batches} batches (avg ${fmt(events / raw.batches)} records), node CPU ${ms(raw.cpuMs)} = ${((raw.cpuMs / raw.elapsedMs) * 100).toFixed(0)} % of wall, ${raw.machine}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(1);
  });
}
