/**
 * npm run generate -- --rate 20 --duration 3600 [--users N] [--fraud all] [--near-miss] ...
 *
 * Generates realistic clickstream traffic (tools/generate/traffic-generator.ts) and writes it as
 * NDJSON (streaming, constant memory) and/or sends it to ingest (HTTP) or straight into Kafka, at
 * a wall-clock rate. `--manifest` writes the alerts the fraud detector must raise on the stream.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { parseEventTime } from '@clickstream/contracts';
import { createEventSink, EventSink, RateLimiter, SendResult } from '../shared/event-sink';
import {
  DEFAULT_THRESHOLDS,
  FRAUD_PATTERNS,
  FraudPattern,
  FraudThresholds,
  GeneratorOptionsError,
  generateTraffic,
  isFraudPattern,
  TrafficGenerator,
  TrafficOptions,
} from './traffic-generator';

export const SEND_BATCH = 500;

const USAGE = `Usage: npm run generate -- --rate N (--duration S | --count N) [options]

Traffic
  --rate N            normal events per second of event time (default 10)
  --duration S        seconds of event time to generate        } exactly one of these
  --count N           exact number of events (normal + injected) }
  --users N           distinct normal users (default 300 per event/s, at least 50)
  --seed N            random seed (default 1); same seed and --start give identical output
  --start T           event time of the first event: ISO-8601, "YYYY-MM-DD HH:MM:SS UTC",
                      epoch ms, or "now" (default: now, rounded down to the minute; with
                      --to, so that the stream ends at now)
  --disorder-ms N     bounded shuffle: events up to N ms out of event-time order (default 0)
  --no-bursts         no short bursts of elevated traffic
Fraud
  --fraud LIST        comma-separated patterns to inject, or "all":
                      ${FRAUD_PATTERNS.join(', ')}
  --near-miss         also inject cases exactly at the per-user thresholds (must not fire)
  --thresholds LIST   override SPEC §7 thresholds, e.g. clickFlood=40,high_value=5000
                      (${Object.keys(DEFAULT_THRESHOLDS).join(', ')})
Output
  --out FILE | -      write NDJSON to FILE or stdout (default: stdout unless --to is given)
  --manifest FILE     write the manifest (alerts that must fire, near misses) as JSON
  --to http|kafka     send the events: to ingest (--url, --api-key) or into Kafka (--brokers, --topic)
  --url URL           ingest base URL (default http://127.0.0.1:3001)
  --api-key KEY       ingest API key (default $INGEST_API_KEY)
  --brokers LIST      Kafka bootstrap servers (default $KAFKA_BROKERS or 127.0.0.1:19092)
  --topic NAME        Kafka topic (default clickstream.events.v1)
  --send-rate N       wall-clock events/s when sending; 0 = as fast as possible (default 0)
  --help`;

export class UsageError extends Error {
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliOptions {
  traffic: TrafficOptions;
  /** Undefined: no NDJSON output. '-' = stdout. */
  out?: string;
  manifest?: string;
  to?: 'http' | 'kafka';
  url?: string;
  apiKey?: string;
  brokers?: string;
  topic?: string;
  sendRate: number;
  help: boolean;
}

const VALUE_FLAGS = new Set([
  '--users',
  '--rate',
  '--duration',
  '--count',
  '--fraud',
  '--seed',
  '--start',
  '--disorder-ms',
  '--out',
  '--manifest',
  '--to',
  '--url',
  '--api-key',
  '--brokers',
  '--topic',
  '--send-rate',
  '--thresholds',
]);
const BOOLEAN_FLAGS = new Set(['--near-miss', '--no-bursts', '--help', '-h']);

/** Parses argv (without node and script). `now` is used for the default --start. */
export function parseArgs(
  argv: readonly string[],
  now: number,
  env: NodeJS.ProcessEnv = {},
): CliOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_FLAGS.has(name)) {
      let value: string | undefined;
      if (name !== arg) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        // "-" is a value (stdout); anything else starting with "--" is the next flag.
        if (value === undefined || (value.startsWith('--') && value !== '-')) {
          throw new UsageError(name, `${name} needs a value`);
        }
        i++;
      }
      if (values.has(name)) throw new UsageError(name, `${name} given twice`);
      values.set(name, value);
    } else if (BOOLEAN_FLAGS.has(arg)) {
      flags.add(arg === '-h' ? '--help' : arg);
    } else if (BOOLEAN_FLAGS.has(name)) {
      throw new UsageError(name, `${name} takes no value (got "${arg.slice(eq + 1)}")`);
    } else {
      throw new UsageError(arg, `unknown argument "${arg}"`);
    }
  }
  const help = flags.has('--help');
  if (help)
    return {
      traffic: { seed: 1, startTime: 0, ratePerSecond: 1, durationSeconds: 1 },
      sendRate: 0,
      help,
    };

  const num = (flag: string, check: (n: number) => boolean, rule: string): number | undefined => {
    const text = values.get(flag);
    if (text === undefined) return undefined;
    const n = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(n) || !check(n))
      throw new UsageError(flag, `${flag} must be ${rule} (got "${text}")`);
    return n;
  };
  const positiveInt = (n: number) => Number.isSafeInteger(n) && n >= 1;

  const rate = num('--rate', (n) => n > 0, 'a number > 0') ?? 10;
  const duration = num('--duration', (n) => n > 0, 'a number of seconds > 0');
  const count = num('--count', positiveInt, 'an integer >= 1');
  if ((duration === undefined) === (count === undefined)) {
    const flag = duration === undefined ? '--duration' : '--count';
    throw new UsageError(
      flag,
      duration === undefined
        ? 'give --duration S or --count N'
        : 'give --duration or --count, not both',
    );
  }
  const users = num('--users', positiveInt, 'an integer >= 1');
  const seed = num('--seed', (n) => Number.isSafeInteger(n) && n >= 0, 'an integer >= 0') ?? 1;
  const disorderMs =
    num(
      '--disorder-ms',
      (n) => Number.isSafeInteger(n) && n >= 0,
      'an integer number of ms >= 0',
    ) ?? 0;
  const sendRate =
    num('--send-rate', (n) => n >= 0, 'a number of events/s >= 0 (0 = unlimited)') ?? 0;

  // Sent to ingest or Kafka, the stream ends at now by default: ingest refuses event times more
  // than 5 min ahead (SPEC §2), so a stream starting now would mostly be invalid.
  const spanMs = values.has('--to') ? Math.ceil((duration ?? (count ?? 0) / rate) * 1000) : 0;
  let startTime = Math.floor((now - spanMs) / 60_000) * 60_000;
  const start = values.get('--start');
  if (start !== undefined && start !== 'now') {
    const parsed = parseEventTime(start);
    if (parsed === undefined) {
      throw new UsageError(
        '--start',
        `--start must be ISO-8601 with an offset or Z, "YYYY-MM-DD HH:MM:SS UTC", epoch ms or "now" (got "${start}")`,
      );
    }
    startTime = parsed;
  }

  const fraud: FraudPattern[] = [];
  const fraudText = values.get('--fraud');
  if (fraudText !== undefined) {
    for (const item of fraudText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (item === 'all') fraud.push(...FRAUD_PATTERNS);
      else if (isFraudPattern(item)) fraud.push(item);
      else
        throw new UsageError(
          '--fraud',
          `--fraud: unknown pattern "${item}" (use all or ${FRAUD_PATTERNS.join(', ')})`,
        );
    }
    if (fraud.length === 0)
      throw new UsageError('--fraud', `--fraud needs at least one pattern (got "${fraudText}")`);
  }

  const thresholds: Partial<FraudThresholds> = {};
  const thresholdText = values.get('--thresholds');
  if (thresholdText !== undefined) {
    for (const item of thresholdText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [rawKey, rawValue, ...rest] = item.split('=');
      const key = camel(rawKey.trim());
      if (!(key in DEFAULT_THRESHOLDS) || rawValue === undefined || rest.length > 0) {
        throw new UsageError(
          '--thresholds',
          `--thresholds: "${item}" is not name=value with a name from ${Object.keys(DEFAULT_THRESHOLDS).join(', ')}`,
        );
      }
      const value = rawValue.trim() === '' ? NaN : Number(rawValue);
      if (!Number.isFinite(value) || value < 0)
        throw new UsageError(
          '--thresholds',
          `--thresholds: ${rawKey} must be a number >= 0 (got "${rawValue}")`,
        );
      thresholds[key as keyof FraudThresholds] = value;
    }
  }

  const to = values.get('--to');
  if (to !== undefined && to !== 'http' && to !== 'kafka')
    throw new UsageError('--to', `--to must be http or kafka (got "${to}")`);
  for (const flag of ['--url', '--api-key', '--send-rate']) {
    if (values.has(flag) && to === undefined)
      throw new UsageError(flag, `${flag} needs --to http|kafka`);
  }
  if (to === 'kafka' && (values.has('--url') || values.has('--api-key'))) {
    throw new UsageError(
      values.has('--url') ? '--url' : '--api-key',
      `${values.has('--url') ? '--url' : '--api-key'} is for --to http`,
    );
  }
  if (to === 'http' && (values.has('--brokers') || values.has('--topic'))) {
    throw new UsageError(
      values.has('--brokers') ? '--brokers' : '--topic',
      `${values.has('--brokers') ? '--brokers' : '--topic'} is for --to kafka`,
    );
  }
  const url = values.get('--url');
  if (url !== undefined && !/^https?:\/\/[^\s/]+/.test(url))
    throw new UsageError('--url', `--url must be an http(s) URL (got "${url}")`);

  const out = values.get('--out') ?? (to === undefined ? '-' : undefined);
  const manifest = values.get('--manifest');
  if (manifest === '-' && out === '-')
    throw new UsageError(
      '--manifest',
      '--manifest - needs --out to be a file (stdout carries the events)',
    );
  if (out === '') throw new UsageError('--out', '--out needs a file name or -');

  return {
    traffic: {
      seed,
      users,
      startTime,
      ratePerSecond: rate,
      ...(duration !== undefined ? { durationSeconds: duration } : { count }),
      fraud,
      nearMiss: flags.has('--near-miss'),
      disorderMs,
      thresholds,
      bursts: !flags.has('--no-bursts'),
    },
    out,
    manifest,
    to,
    url,
    apiKey: values.get('--api-key') ?? (to === 'http' ? env.INGEST_API_KEY : undefined),
    brokers: values.get('--brokers'),
    topic: values.get('--topic'),
    sendRate,
    help: false,
  };
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Which CLI flag a library option comes from, for error messages. */
const FLAG_OF_OPTION: Record<string, string> = {
  seed: '--seed',
  users: '--users',
  startTime: '--start',
  ratePerSecond: '--rate',
  durationSeconds: '--duration',
  count: '--count',
  fraud: '--fraud',
  disorderMs: '--disorder-ms',
};

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  now?: () => number;
  env?: NodeJS.ProcessEnv;
  /** For tests: replaces createEventSink. */
  createSink?: typeof createEventSink;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const now = io.now ?? Date.now;
  const say = (line: string) => io.stderr.write(`${line}\n`);
  let opts: CliOptions;
  let gen: TrafficGenerator;
  try {
    opts = parseArgs(argv, now(), io.env ?? process.env);
    if (opts.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    gen = generateTraffic(opts.traffic);
  } catch (err) {
    if (err instanceof UsageError) {
      say(`generate: ${err.message}\n(run with --help for usage)`);
      return 2;
    }
    if (err instanceof GeneratorOptionsError) {
      const flag =
        FLAG_OF_OPTION[err.option] ??
        (err.option.startsWith('thresholds.') ? '--thresholds' : err.option);
      say(`generate: ${flag}: ${err.message}\n(run with --help for usage)`);
      return 2;
    }
    throw err;
  }

  // The summary goes to stdout, unless stdout carries the events.
  const info = opts.out === '-' ? say : (line: string) => io.stdout.write(`${line}\n`);
  if (opts.traffic.disorderMs! > 120_000) {
    say(
      `generate: warning: --disorder-ms ${opts.traffic.disorderMs} exceeds the default allowed lateness (2 min); events may arrive late and the manifest may not hold`,
    );
  }

  const started = Date.now();
  const output =
    opts.out === undefined ? undefined : opts.out === '-' ? io.stdout : createWriteStream(opts.out);
  const writer = output ? new LineWriter(output) : undefined;
  let sink: EventSink | undefined;
  const sent: SendResult = { accepted: 0, rejected: 0, errors: [] };
  let sentCount = 0;
  try {
    if (opts.to) {
      sink = await (io.createSink ?? createEventSink)({
        to: opts.to,
        url: opts.url,
        apiKey: opts.apiKey,
        brokers: opts.brokers,
        topic: opts.topic,
      });
    }
    const limiter = new RateLimiter(opts.sendRate);
    let batch: unknown[] = [];
    let lastProgress = Date.now();
    const flush = async () => {
      if (!sink || batch.length === 0) return;
      await limiter.take(batch.length);
      const result = await sink.send(batch);
      sent.accepted += result.accepted;
      sent.rejected += result.rejected;
      for (const e of result.errors)
        if (sent.errors.length < 20) sent.errors.push({ ...e, index: e.index + sentCount });
      sentCount += batch.length;
      batch = [];
      if (Date.now() - lastProgress >= 5_000) {
        lastProgress = Date.now();
        const secs = (lastProgress - started) / 1000;
        say(
          `generate: sent ${fmt(sentCount)}/${fmt(gen.totalEvents)} (${fmt(Math.round(sentCount / secs))} events/s)`,
        );
      }
    };
    for (const event of gen.events()) {
      if (writer) await writer.write(`${JSON.stringify(event)}\n`);
      if (sink) {
        batch.push(event);
        if (batch.length >= SEND_BATCH) await flush();
      }
    }
    await flush();
    if (writer) await writer.end(output !== io.stdout);
  } catch (err) {
    if (isEpipe(err)) return 0; // stdout closed early (e.g. piped into head)
    say(`generate: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await sink?.close().catch(() => undefined);
  }

  const manifest = gen.manifest();
  if (opts.manifest) {
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    if (opts.manifest === '-') io.stdout.write(text);
    else {
      const file = createWriteStream(opts.manifest);
      await new LineWriter(file).write(text).then((w) => w.end(true));
    }
  }

  const secs = (Date.now() - started) / 1000;
  const injected = manifest.expected.filter((a) => a.source === 'injected').length;
  const incidental = manifest.expected.filter(
    (a) => a.source === 'incidental' && !a.trailing,
  ).length;
  const trailing = manifest.expected.filter((a) => a.trailing).length;
  info(
    `generated ${fmt(manifest.events)} events (${fmt(manifest.normal_events)} normal, ${fmt(manifest.injected_events)} injected), ` +
      `${manifest.start} .. ${manifest.end}, seed ${manifest.seed}, ${fmt(manifest.users)} users, ${manifest.rate_per_second}/s, in ${secs.toFixed(1)} s`,
  );
  info(
    `expected alerts: ${manifest.expected.length} (${injected} injected, ${incidental} incidental, ${trailing} after the end of the stream); ` +
      `near misses: ${manifest.near_misses.length}`,
  );
  for (const a of manifest.expected.filter((e) => !e.trailing)) {
    const op = a.rule === 'traffic_drop' ? '<' : '>';
    info(
      `  ${a.rule.padEnd(17)} ${(a.user_id ?? '*').padEnd(30)} ${a.window_start}  ${a.value} ${op} ${a.threshold}`,
    );
  }
  for (const w of manifest.warnings) say(`generate: warning: ${w}`);
  if (opts.to) {
    const target =
      opts.to === 'http'
        ? (opts.url ?? 'http://127.0.0.1:3001')
        : `kafka ${opts.brokers ?? '$KAFKA_BROKERS'}`;
    info(
      `sent ${fmt(sentCount)} events to ${target}: accepted ${fmt(sent.accepted)}, rejected ${fmt(sent.rejected)} (${fmt(Math.round(sentCount / Math.max(secs, 0.001)))} events/s)`,
    );
    for (const e of sent.errors.slice(0, 5)) info(`  event ${e.index}: ${e.field}: ${e.message}`);
    if (sent.rejected > 0) return 1;
  }
  return 0;
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

function fmt(n: number): string {
  return n.toLocaleString('en-US');
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
