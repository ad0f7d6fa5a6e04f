import { CSV_FORMATS, CsvFormat } from '@clickstream/contracts';
import { parseBrokers } from '../shared/kafka-event-sink';

export const INPUT_FORMATS = ['ndjson', ...CSV_FORMATS, 'auto'] as const;
export type InputFormat = 'ndjson' | CsvFormat | 'auto';

export const DEFAULT_URL = 'http://127.0.0.1:3001';
export const DEFAULT_BROKERS = '127.0.0.1:19092';
export const DEFAULT_BATCH = 500;
/** Ingest takes at most this many events per request. */
export const MAX_BATCH = 10_000;

export interface ReplayOptions {
  file: string;
  /** As given or guessed from the extension; `auto` = a CSV whose format the header tells. */
  format: InputFormat;
  /** Whether the file is gzip-compressed (`.gz`). */
  gzip: boolean;
  /** Events per second, wall clock. */
  rate?: number;
  /** Event time runs this many times faster than the replay's wall clock. */
  speedup?: number;
  to: 'http' | 'kafka';
  url: string;
  apiKey?: string;
  brokers: string;
  topic?: string;
  /** Prefix of the default topic names (KAFKA_TOPIC_PREFIX of the services). */
  topicPrefix?: string;
  /** HTTP: attempts per request (503s and connection errors are retried). */
  maxAttempts?: number;
  /** HTTP: no retry starts later than this many seconds after a request's first attempt. */
  maxRetrySeconds?: number;
  batch: number;
  /** Batches in flight at once; 1 keeps the file's order on the wire. */
  concurrency: number;
  /** Stop after this many events (rows a CSV mapper rejects count too). */
  limit?: number;
  progress: boolean;
}

export const USAGE = `usage: npm run replay -- <file> [options]

Replays a CSV or NDJSON file (optionally .gz) into the ingest API or straight into Kafka.

  <file>                 .ndjson/.jsonl (one event per line) or .csv (REES46, Retailrocket, clicks)
  --format F             ndjson | rees46 | retailrocket | clicks | auto (CSV, by header)
                         default: from the extension (.ndjson/.jsonl: ndjson, .csv: auto)
  --rate N               at most N events/s (wall clock)
  --speedup N            pace by event time: an event with time t goes out at start + (t - t0)/N
  --to http|kafka        default http
  --url URL              ingest base URL (http), default $INGEST_URL or ${DEFAULT_URL}
  --api-key K            ingest API key (http), default $INGEST_API_KEY
  --brokers H:P[,H:P]    Kafka bootstrap servers (kafka), default $KAFKA_BROKERS or ${DEFAULT_BROKERS}
  --topic T              topic of valid events (kafka), default <prefix>clickstream.events.v1
  --topic-prefix P       prefix of the topic names, as the services' KAFKA_TOPIC_PREFIX (kafka),
                         default $KAFKA_TOPIC_PREFIX; invalid events go to <prefix>clickstream.events.dlq.v1
  --max-attempts N       attempts per request on 503/connection errors (http), default 10
  --max-retry-s S        give a request up S seconds after its first attempt (http), default 120
  --batch N              events per request/batch, 1..${MAX_BATCH}, default ${DEFAULT_BATCH}
  --concurrency N        batches in flight, 1..64, default 1 (keeps file order)
  --limit N              stop after N events
  --no-progress          no progress bar or progress lines
  -h, --help             this help

Prints a summary, then one JSON line: {"sent":..,"accepted":..,"rejected":..,"duration_s":..,"rate_eps":..}
Exit status: 0 done (rejected events included), 1 failed, 2 bad arguments, 130 interrupted.`;

/** A bad command line: the message names the flag and the value. Exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Flag =
  | 'format'
  | 'rate'
  | 'speedup'
  | 'to'
  | 'url'
  | 'api-key'
  | 'brokers'
  | 'topic'
  | 'topic-prefix'
  | 'max-attempts'
  | 'max-retry-s'
  | 'batch'
  | 'concurrency'
  | 'limit';
const VALUE_FLAGS: ReadonlySet<string> = new Set<Flag>([
  'format',
  'rate',
  'speedup',
  'to',
  'url',
  'api-key',
  'brokers',
  'topic',
  'topic-prefix',
  'max-attempts',
  'max-retry-s',
  'batch',
  'concurrency',
  'limit',
]);

/** Parses the command line; `help: true` when -h/--help was asked for. Throws UsageError. */
export function parseReplayArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { help: true } | ({ help: false } & ReplayOptions) {
  const values = new Map<Flag, string>();
  const files: string[] = [];
  let progress = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') return { help: true };
    if (arg === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--no-progress') {
      progress = false;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      files.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === 'no-progress') throw new UsageError('--no-progress takes no value');
    if (!arg.startsWith('--') || !VALUE_FLAGS.has(name)) {
      throw new UsageError(`unknown flag ${arg.slice(0, eq === -1 ? undefined : eq)}`);
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (values.has(name as Flag)) throw new UsageError(`--${name} given twice`);
    values.set(name as Flag, value);
  }

  if (files.length === 0) throw new UsageError('missing <file> to replay');
  if (files.length > 1)
    throw new UsageError(
      `one file at a time (got ${files.map((f) => JSON.stringify(f)).join(', ')})`,
    );
  const file = files[0];
  const gzip = /\.gz$/i.test(file);

  const format = parseFormat(values.get('format'), file);
  const to = values.get('to') ?? 'http';
  if (to !== 'http' && to !== 'kafka') throw badValue('to', to, 'http or kafka');

  const rate = optionalNumber(values, 'rate', 'a number of events per second > 0');
  const speedup = optionalNumber(
    values,
    'speedup',
    'a factor > 0 (1 = real time, 60 = a minute per second)',
  );
  if (rate !== undefined && speedup !== undefined) {
    throw new UsageError(
      '--rate and --speedup exclude each other: pace by wall clock or by event time',
    );
  }

  // Flags of the other sink are a mistake (a forgotten --to kafka, say), not something to ignore.
  const wrongSink = (
    to === 'http'
      ? ['brokers', 'topic', 'topic-prefix']
      : ['url', 'api-key', 'max-attempts', 'max-retry-s']
  ) as Flag[];
  for (const flag of wrongSink) {
    if (values.has(flag))
      throw new UsageError(
        `--${flag} applies to --to ${to === 'http' ? 'kafka' : 'http'} only (sending with --to ${to})`,
      );
  }

  const url = values.get('url') ?? env.INGEST_URL ?? DEFAULT_URL;
  if (to === 'http') checkUrl(url, values.has('url') ? '--url' : 'INGEST_URL');
  const apiKey = values.get('api-key') ?? env.INGEST_API_KEY;
  if (values.has('api-key') && apiKey === '') throw badValue('api-key', '', 'a non-empty key');

  const brokers = values.get('brokers') ?? env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  if (to === 'kafka') {
    try {
      parseBrokers(brokers);
    } catch (error) {
      throw new UsageError(
        `${values.has('brokers') ? '--brokers' : 'KAFKA_BROKERS'} ${JSON.stringify(brokers)}: ${(error as Error).message}`,
      );
    }
  }
  const topic = values.get('topic');
  if (topic !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw badValue('topic', topic, 'a Kafka topic name (letters, digits, . _ -)');
  }
  const topicPrefix = values.get('topic-prefix') ?? env.KAFKA_TOPIC_PREFIX;
  if (topicPrefix !== undefined && !/^[a-zA-Z0-9._-]{0,100}$/.test(topicPrefix)) {
    if (values.has('topic-prefix'))
      throw badValue('topic-prefix', topicPrefix, 'at most 100 letters, digits, . _ -');
    if (to === 'kafka')
      throw new UsageError(
        `KAFKA_TOPIC_PREFIX ${JSON.stringify(topicPrefix)} may hold only letters, digits, . _ - (at most 100)`,
      );
  }

  return {
    help: false,
    file,
    format,
    gzip,
    rate,
    speedup,
    to,
    url,
    apiKey: apiKey || undefined,
    brokers,
    topic,
    topicPrefix,
    maxAttempts: optionalInteger(values, 'max-attempts', 1, 1000),
    maxRetrySeconds: optionalNumber(values, 'max-retry-s', 'a number of seconds > 0'),
    batch: optionalInteger(values, 'batch', 1, MAX_BATCH) ?? DEFAULT_BATCH,
    concurrency: optionalInteger(values, 'concurrency', 1, 64) ?? 1,
    limit: optionalInteger(values, 'limit', 1, Number.MAX_SAFE_INTEGER),
    progress,
  };
}

/** The format given, or the one the extension implies (`.gz` looked through). */
function parseFormat(given: string | undefined, file: string): InputFormat {
  if (given !== undefined) {
    if (!(INPUT_FORMATS as readonly string[]).includes(given)) {
      throw badValue('format', given, INPUT_FORMATS.join(', '));
    }
    return given as InputFormat;
  }
  const name = file.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.csv')) return 'auto';
  throw new UsageError(
    `cannot tell the format of ${JSON.stringify(file)} from its extension (.ndjson, .jsonl or .csv); pass --format ${INPUT_FORMATS.join('|')}`,
  );
}

function optionalNumber(
  values: Map<Flag, string>,
  flag: Flag,
  expected: string,
): number | undefined {
  const raw = values.get(flag);
  if (raw === undefined) return undefined;
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw badValue(flag, raw, expected);
  return value;
}

function optionalInteger(
  values: Map<Flag, string>,
  flag: Flag,
  min: number,
  max: number,
): number | undefined {
  const raw = values.get(flag);
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badValue(
      flag,
      raw,
      max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
    );
  }
  return value;
}

function checkUrl(url: string, source: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`${source} ${JSON.stringify(url)} must be an http:// or https:// URL`);
  }
}

function badValue(flag: Flag, value: string, expected: string): UsageError {
  return new UsageError(`--${flag} ${JSON.stringify(value)} is not valid: expected ${expected}`);
}
