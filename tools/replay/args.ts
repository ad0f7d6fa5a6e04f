import { CSV_FORMATS, CsvFormat } from '@clickstream/contracts';
import {
  defineCommand,
  flag,
  flagName,
  formatHelp,
  integer,
  InvalidValue,
  number,
  oneOf,
  parseCommandLine,
  parseText,
  UsageError,
  value,
} from '../shared/args';
import { parseBrokers } from '../shared/kafka-event-sink';

export { UsageError } from '../shared/args';

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

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const TOPIC_PREFIX = /^[a-zA-Z0-9._-]{0,100}$/;

function httpUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new InvalidValue('must be an http:// or https:// URL');
  }
  return url;
}

function brokerList(brokers: string): string {
  parseBrokers(brokers);
  return brokers;
}

function matching(pattern: RegExp, rule: string): (text: string) => string {
  return (raw) => {
    if (!pattern.test(raw)) throw new InvalidValue(rule);
    return raw;
  };
}

const topicPrefix = matching(TOPIC_PREFIX, 'may hold only letters, digits, . _ - (at most 100)');

export const REPLAY_COMMAND = defineCommand({
  invocation: 'npm run replay --',
  description:
    'Replays a CSV or NDJSON file (optionally .gz) into the ingest API or straight into Kafka.',
  arguments: [
    {
      name: 'file',
      description: '.ndjson/.jsonl (one event per line) or .csv (REES46, Retailrocket, clicks)',
    },
  ],
  options: {
    format: oneOf(INPUT_FORMATS, {
      description: "the file's format; auto: a CSV whose header tells which",
      defaultText: 'from the extension: ndjson for .ndjson/.jsonl, auto for .csv',
    }),
    rate: number({ greaterThan: 0, description: 'at most N events/s (wall clock)' }),
    speedup: number({
      greaterThan: 0,
      description: 'pace by event time: an event with time t goes out at start + (t - t0)/N',
    }),
    to: oneOf(['http', 'kafka'] as const, { default: 'http', description: 'where the events go' }),
    url: value(httpUrl, {
      placeholder: 'URL',
      description: 'ingest base URL (http)',
      defaultText: `$INGEST_URL or ${DEFAULT_URL}`,
    }),
    apiKey: value(matching(/./, 'must not be empty'), {
      placeholder: 'K',
      description: 'ingest API key (http)',
      defaultText: '$INGEST_API_KEY',
    }),
    brokers: value(brokerList, {
      placeholder: 'H:P[,H:P]',
      description: 'Kafka bootstrap servers (kafka)',
      defaultText: `$KAFKA_BROKERS or ${DEFAULT_BROKERS}`,
    }),
    topic: value(matching(TOPIC_NAME, 'must be a Kafka topic name (letters, digits, . _ -)'), {
      placeholder: 'T',
      description: 'topic of valid events (kafka)',
      defaultText: '<prefix>clickstream.events.v1',
    }),
    topicPrefix: value(topicPrefix, {
      placeholder: 'P',
      description:
        "prefix of the topic names, as the services' KAFKA_TOPIC_PREFIX (kafka); invalid events go to <prefix>clickstream.events.dlq.v1",
      defaultText: '$KAFKA_TOPIC_PREFIX',
    }),
    maxAttempts: integer({
      min: 1,
      max: 1000,
      description: 'attempts per request on 503/connection errors (http)',
      defaultText: '10',
    }),
    maxRetryS: number({
      greaterThan: 0,
      placeholder: 'S',
      description: 'give a request up S seconds after its first attempt (http)',
      defaultText: '120',
    }),
    batch: integer({
      min: 1,
      max: MAX_BATCH,
      default: DEFAULT_BATCH,
      description: 'events per request/batch',
    }),
    concurrency: integer({
      min: 1,
      max: 64,
      default: 1,
      description: 'batches in flight (1 keeps the file order)',
    }),
    limit: integer({
      min: 1,
      description: 'stop after N events (rows a CSV mapper rejects count too)',
    }),
    noProgress: flag({ description: 'no progress bar or progress lines' }),
  },
  epilog: `Prints a summary, then one JSON line:
  {"sent":..,"accepted":..,"rejected":..,"duration_s":..,"rate_eps":..}
Exit status: 0 done (rejected events included), 1 failed, 2 bad arguments, 130 interrupted.`,
  check: (values) => {
    if (values.rate !== undefined && values.speedup !== undefined) {
      throw new UsageError(
        '--rate and --speedup exclude each other: pace by wall clock or by event time',
      );
    }
    // Options of the other sink are a mistake (a forgotten --to kafka, say), not something to ignore.
    const wrongSink =
      values.to === 'http'
        ? (['brokers', 'topic', 'topicPrefix'] as const)
        : (['url', 'apiKey', 'maxAttempts', 'maxRetryS'] as const);
    for (const key of wrongSink) {
      if (values[key] === undefined) continue;
      throw new UsageError(
        `--${flagName(key)} applies to --to ${values.to === 'http' ? 'kafka' : 'http'} only (sending with --to ${values.to})`,
      );
    }
  },
});

export const USAGE = formatHelp(REPLAY_COMMAND);

/** Parses the command line; `help: true` when -h/--help was asked for. Throws UsageError. */
export function parseReplayArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { help: true } | ({ help: false } & ReplayOptions) {
  const parsed = parseCommandLine(REPLAY_COMMAND, argv);
  if (parsed.help) return { help: true };
  const { values } = parsed;
  const file = parsed.positionals[0];
  const { to } = values;
  // Settings from the environment are checked only for the sink in use.
  const url = values.url ?? env.INGEST_URL ?? DEFAULT_URL;
  if (to === 'http' && values.url === undefined) parseText('INGEST_URL', httpUrl, url);
  const brokers = values.brokers ?? env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  if (to === 'kafka' && values.brokers === undefined)
    parseText('KAFKA_BROKERS', brokerList, brokers);
  const prefix = values.topicPrefix ?? env.KAFKA_TOPIC_PREFIX;
  if (to === 'kafka' && values.topicPrefix === undefined && prefix !== undefined) {
    parseText('KAFKA_TOPIC_PREFIX', topicPrefix, prefix);
  }
  return {
    help: false,
    file,
    format: parseFormat(values.format, file),
    gzip: /\.gz$/i.test(file),
    rate: values.rate,
    speedup: values.speedup,
    to,
    url,
    apiKey: values.apiKey ?? (env.INGEST_API_KEY || undefined),
    brokers,
    topic: values.topic,
    topicPrefix: prefix,
    maxAttempts: values.maxAttempts,
    maxRetrySeconds: values.maxRetryS,
    batch: values.batch,
    concurrency: values.concurrency,
    limit: values.limit,
    progress: !values.noProgress,
  };
}

/** The format given, or the one the extension implies (`.gz` looked through). */
function parseFormat(given: InputFormat | undefined, file: string): InputFormat {
  if (given !== undefined) return given;
  const name = file.replace(/\.gz$/i, '').toLowerCase();
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'ndjson';
  if (name.endsWith('.csv')) return 'auto';
  throw new UsageError(
    `cannot tell the format of ${JSON.stringify(file)} from its extension (.ndjson, .jsonl or .csv); pass --format ${INPUT_FORMATS.join('|')}`,
  );
}
