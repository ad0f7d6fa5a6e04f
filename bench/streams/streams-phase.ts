import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { Serdes, StreamsApp, Topology, TopologyBuilder } from '@clickstream/streams';
import { countPerUserMinute } from '../shared/windowed-count';
import { BenchRun, LATENESS_MS } from './bench-run';
import { fmt, log, mark, ms, sleep } from './format';
import { machineBusy, machineCpu } from './machine-cpu';
import { instrument, timePhases } from './phase-timer';
import type { BenchEvent } from './workload';

/** 1 min tumbling windows per user, count and sum, emitted final to the output topic. */
export function windowedCount(appId: string, input: string, output: string): Topology {
  const builder = new TopologyBuilder(appId);
  const events = builder.stream<BenchEvent>(input, {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<BenchEvent>(),
    timestamp: (event) => event.ts,
  });
  countPerUserMinute(events, 'bench-window-1m', output);
  return builder.build();
}

export interface StreamsResult {
  /** From start() to every record committed. */
  fromStartMs: number;
  /** Events/s from start() (includes the group join and task claims). */
  rateFromStart: number;
  /** Events/s from the first committed progress on. */
  rateSteady: number;
  /** Final windows the app emitted (published outbox records). */
  windowsOut: number;
  /** Load average (1 min) right after the phase. */
  loadAfter: number;
}

interface Progress {
  /** performance.now() when progress was first seen, and the records committed then. */
  firstAt: number;
  firstDone: number;
  cpu: NodeJS.CpuUsage;
  machine: ReturnType<typeof machineCpu>;
}

/** Runs the streams app over the input topic until every record is committed (Postgres `stream_offsets`). */
export async function runStreams(run: BenchRun, pool: Pool): Promise<StreamsResult> {
  const { args, names } = run;
  instrument(run.kafka);
  run.app = new StreamsApp({
    topology: windowedCount(names.appId, names.input, names.output),
    kafka: run.kafka,
    pool,
    registry: run.registry,
    metricPrefix: 'streams',
    allowedLatenessMs: LATENESS_MS,
    idleTimeoutMs: 3_600_000,
    maxBytesPerPartition: args.maxBytes,
    chunkSize: args.chunk,
    logger: {
      info: () => undefined,
      warn: (fields, message) =>
        process.stderr.write(`WARN ${message} ${JSON.stringify(fields)}\n`),
      error: (fields, message) =>
        process.stderr.write(`ERROR ${message} ${JSON.stringify(fields)}\n`),
    },
  });
  const started = performance.now();
  mark('streams-start');
  timePhases(true);
  await run.app.start();
  const first = await waitCommitted(pool, names.appId, args.events, started, args.timeout);
  const ended = performance.now();
  const steadyCpu = process.cpuUsage(first.cpu);
  const steadyMachine = machineBusy(first.machine, machineCpu());
  mark('streams-end');
  timePhases(false);
  const loadAfter = loadavg()[0];
  const fromStartMs = ended - started;
  const steadyMs = ended - first.firstAt;
  const steadyCpuMs = (steadyCpu.user + steadyCpu.system) / 1000;
  const windowsOut = await sumOf(pool, 'next_seq', names.appId);
  log(
    `streams:   ${fmt(args.events)} committed in ${ms(fromStartMs)} from start(); first progress (${fmt(first.firstDone)}) after ${ms(first.firstAt - started)}, ` +
      `then ${fmt(args.events - first.firstDone)} in ${ms(steadyMs)}, node CPU ${ms(steadyCpuMs)} = ${((steadyCpuMs / steadyMs) * 100).toFixed(0)} % of wall, ${steadyMachine}; ` +
      `${fmt(windowsOut)} final windows emitted`,
  );
  await run.app.stop();
  run.app = undefined;
  return {
    fromStartMs,
    rateFromStart: args.events / (fromStartMs / 1000),
    rateSteady: (args.events - first.firstDone) / (steadyMs / 1000),
    windowsOut,
    loadAfter,
  };
}

/** Polls the committed offsets every 50 ms until `total`; returns when and at what progress it first moved. */
async function waitCommitted(
  pool: Pool,
  appId: string,
  total: number,
  started: number,
  timeoutS: number,
): Promise<Progress> {
  const deadline = started + timeoutS * 1000;
  let first: Progress | undefined;
  for (;;) {
    const done = await sumOf(pool, 'next_offset', appId);
    const now = performance.now();
    if (done > 0 && !first)
      first = { firstAt: now, firstDone: done, cpu: process.cpuUsage(), machine: machineCpu() };
    if (done >= total) return first!;
    if (now > deadline)
      throw new Error(`streams: timed out after ${timeoutS} s with ${done}/${total} committed`);
    await sleep(50);
  }
}

async function sumOf(
  pool: Pool,
  column: 'next_offset' | 'next_seq',
  appId: string,
): Promise<number> {
  const { rows } = await pool.query<{ total: string | null }>(
    `SELECT sum(${column}) AS total FROM stream_offsets WHERE group_id = $1`,
    [appId],
  );
  return Number(rows[0].total ?? 0);
}
