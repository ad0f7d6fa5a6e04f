/**
 * npm run generate -- --rate 20 --duration 3600 [--users N] [--fraud all] [--near-miss] ...
 *
 * Generates realistic clickstream traffic (tools/generate/traffic-generator.ts) and writes it as
 * NDJSON (streaming, constant memory) and/or sends it to ingest (HTTP) or straight into Kafka, at
 * a wall-clock rate. `--manifest` writes the alerts the fraud detector must raise on the stream.
 * The command line is in cli-options.ts.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { EXIT_OK, EXIT_USAGE, usageErrorText } from '../shared/args';
import {
  createEventSink,
  DEFAULT_INGEST_URL,
  EventSink,
  RateLimiter,
  SendResult,
} from '../shared/event-sink';
import {
  CliOptions,
  generatorUsageError,
  INVOCATION,
  parseArgs,
  USAGE,
  UsageError,
} from './cli-options';
import {
  GeneratorOptionsError,
  generateTraffic,
  TrafficGenerator,
  TrafficManifest,
} from './traffic-generator';

export { parseArgs, UsageError } from './cli-options';
export type { CliOptions } from './cli-options';

export const SEND_BATCH = 500;
const EXIT_FAILED = 1;
/** The streams' default allowed lateness: more disorder than this and events may count as late. */
const ALLOWED_LATENESS_MS = 120_000;
/** Errors kept for the summary (it prints the first 5). */
const KEPT_ERRORS = 20;
const PROGRESS_EVERY_MS = 5_000;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** For tests: replaces createEventSink. */
  createSink?: typeof createEventSink;
}

type Say = (line: string) => void;

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const say: Say = (line) => io.stderr.write(`${line}\n`);
  const prepared = prepare(argv, io, say);
  if (typeof prepared === 'number') return prepared;
  const { opts, gen } = prepared;
  // The summary goes to stdout, unless stdout carries the events.
  const info: Say = opts.out === '-' ? say : (line) => io.stdout.write(`${line}\n`);
  if (opts.traffic.disorderMs! > ALLOWED_LATENESS_MS) {
    say(
      `generate: warning: --disorder-ms ${opts.traffic.disorderMs} exceeds the default allowed lateness (2 min); events may arrive late and the manifest may not hold`,
    );
  }
  const started = Date.now();
  let sent: SendTotals;
  try {
    sent = await emitEvents(opts, gen, io, new Progress(gen.totalEvents, started, say));
  } catch (err) {
    if (isEpipe(err)) return EXIT_OK; // stdout closed early (e.g. piped into head)
    say(`generate: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILED;
  }
  const manifest = gen.manifest();
  if (opts.manifest) await writeManifest(opts.manifest, manifest, io.stdout);
  const secs = (Date.now() - started) / 1000;
  reportManifest(manifest, secs, info, say);
  if (!opts.to) return EXIT_OK;
  reportSending(opts, sent, secs, info);
  return sent.rejected > 0 ? EXIT_FAILED : EXIT_OK;
}

/** Parses the command line and sets up the generator; or prints the help or a usage error. */
function prepare(
  argv: readonly string[],
  io: CliIo,
  say: Say,
): { opts: CliOptions; gen: TrafficGenerator } | number {
  try {
    const opts = parseArgs(argv, (io.now ?? Date.now)(), io.env ?? process.env);
    if (opts.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    return { opts, gen: generateTraffic(opts.traffic) };
  } catch (err) {
    const usage = err instanceof GeneratorOptionsError ? generatorUsageError(err) : err;
    if (!(usage instanceof UsageError)) throw err;
    say(usageErrorText('generate', INVOCATION, usage));
    return EXIT_USAGE;
  }
}

interface SendTotals extends SendResult {
  /** Events handed to the sink. */
  count: number;
}

/** Writes the events as NDJSON and/or sends them; the sink is closed whatever happens. */
async function emitEvents(
  opts: CliOptions,
  gen: TrafficGenerator,
  io: CliIo,
  progress: Progress,
): Promise<SendTotals> {
  const output =
    opts.out === undefined ? undefined : opts.out === '-' ? io.stdout : createWriteStream(opts.out);
  const writer = output ? new LineWriter(output) : undefined;
  let sink: EventSink | undefined;
  try {
    if (opts.to) {
      const { to, url, apiKey, brokers, topic } = opts;
      sink = await (io.createSink ?? createEventSink)({ to, url, apiKey, brokers, topic });
    }
    const sender = sink ? new BatchSender(sink, opts.sendRate, progress) : undefined;
    for (const event of gen.events()) {
      if (writer) await writer.write(`${JSON.stringify(event)}\n`);
      if (sender) await sender.add(event);
    }
    await sender?.flush();
    if (writer) await writer.end(output !== io.stdout);
    return sender?.totals ?? { accepted: 0, rejected: 0, errors: [], count: 0 };
  } finally {
    await sink?.close().catch(() => undefined);
  }
}

/** Sends events in batches of SEND_BATCH at the --send-rate, adding up what the sink answered. */
class BatchSender {
  readonly totals: SendTotals = { accepted: 0, rejected: 0, errors: [], count: 0 };
  private batch: unknown[] = [];
  private readonly limiter: RateLimiter;

  constructor(
    private readonly sink: EventSink,
    sendRate: number,
    private readonly progress: Progress,
  ) {
    this.limiter = new RateLimiter(sendRate);
  }

  async add(event: unknown): Promise<void> {
    this.batch.push(event);
    if (this.batch.length >= SEND_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const { batch, totals } = this;
    this.batch = [];
    await this.limiter.take(batch.length);
    const result = await this.sink.send(batch);
    totals.accepted += result.accepted;
    totals.rejected += result.rejected;
    // A batch's error indexes count from its start; the summary counts from the stream's.
    for (const error of result.errors) {
      if (totals.errors.length < KEPT_ERRORS) {
        totals.errors.push({ ...error, index: error.index + totals.count });
      }
    }
    totals.count += batch.length;
    this.progress.sent(totals.count);
  }
}

/** A line on stderr at most every 5 s while sending. */
class Progress {
  private last = Date.now();

  constructor(
    private readonly total: number,
    private readonly started: number,
    private readonly say: Say,
  ) {}

  sent(count: number): void {
    if (Date.now() - this.last < PROGRESS_EVERY_MS) return;
    this.last = Date.now();
    const secs = (this.last - this.started) / 1000;
    this.say(
      `generate: sent ${fmt(count)}/${fmt(this.total)} (${fmt(Math.round(count / secs))} events/s)`,
    );
  }
}

async function writeManifest(
  to: string,
  manifest: TrafficManifest,
  stdout: Writable,
): Promise<void> {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (to === '-') stdout.write(text);
  else await new LineWriter(createWriteStream(to)).write(text).then((writer) => writer.end(true));
}

/** What was generated and which alerts must fire; the manifest's warnings go to stderr. */
function reportManifest(manifest: TrafficManifest, secs: number, info: Say, say: Say): void {
  const { expected } = manifest;
  const injected = expected.filter((alert) => alert.source === 'injected').length;
  const incidental = expected.filter(
    (alert) => alert.source === 'incidental' && !alert.trailing,
  ).length;
  const trailing = expected.filter((alert) => alert.trailing).length;
  info(
    `generated ${fmt(manifest.events)} events (${fmt(manifest.normal_events)} normal, ${fmt(manifest.injected_events)} injected), ` +
      `${manifest.start} .. ${manifest.end}, seed ${manifest.seed}, ${fmt(manifest.users)} users, ${manifest.rate_per_second}/s, in ${secs.toFixed(1)} s`,
  );
  info(
    `expected alerts: ${expected.length} (${injected} injected, ${incidental} incidental, ${trailing} after the end of the stream); ` +
      `near misses: ${manifest.near_misses.length}`,
  );
  for (const alert of expected.filter((candidate) => !candidate.trailing)) {
    const op = alert.rule === 'traffic_drop' ? '<' : '>';
    info(
      `  ${alert.rule.padEnd(17)} ${(alert.user_id ?? '*').padEnd(30)} ${alert.window_start}  ${alert.value} ${op} ${alert.threshold}`,
    );
  }
  for (const warning of manifest.warnings) say(`generate: warning: ${warning}`);
}

function reportSending(opts: CliOptions, sent: SendTotals, secs: number, info: Say): void {
  const target =
    opts.to === 'http'
      ? (opts.url ?? DEFAULT_INGEST_URL)
      : `kafka ${opts.brokers ?? '$KAFKA_BROKERS'}`;
  const rate = Math.round(sent.count / Math.max(secs, 0.001));
  info(
    `sent ${fmt(sent.count)} events to ${target}: accepted ${fmt(sent.accepted)}, rejected ${fmt(sent.rejected)} (${fmt(rate)} events/s)`,
  );
  for (const error of sent.errors.slice(0, 5)) {
    info(`  event ${error.index}: ${error.field}: ${error.message}`);
  }
}

/** Buffered line writer that respects backpressure (never holds more than ~64 KB). */
class LineWriter {
  private buffer = '';
  private error: Error | undefined;

  constructor(private readonly stream: Writable) {
    // One listener for the writer's life: an error between writes is reported by the next write.
    stream.on('error', (err: Error) => (this.error ??= err));
  }

  async write(text: string): Promise<this> {
    this.buffer += text;
    if (this.buffer.length >= 65_536) await this.flush();
    return this;
  }

  private async flush(): Promise<void> {
    if (this.error) throw this.error;
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    // events.once rejects when 'error' is emitted while waiting, and removes its listeners.
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async end(close: boolean): Promise<void> {
    await this.flush();
    if (!close) return;
    await new Promise<void>((resolve, reject) => {
      if (this.error) return reject(this.error);
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

function isEpipe(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'EPIPE';
}

function fmt(count: number): string {
  return count.toLocaleString('en-US');
}

if (require.main === module) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      console.error(`generate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    },
  );
}
