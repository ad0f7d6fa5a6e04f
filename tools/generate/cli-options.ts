/**
 * The generate CLI's command line: its option table on the shared parser (tools/shared/args.ts),
 * the checks across options, and the translation into the generator's TrafficOptions. The values'
 * own parsers are in option-values.ts.
 */
import {
  defineCommand,
  flag,
  flagName,
  formatHelp,
  integer,
  number,
  oneOf,
  parseCommandLine,
  text,
  UsageError,
  value,
  Values,
} from '../shared/args';
import { DEFAULT_INGEST_URL, DEFAULT_KAFKA_BROKERS_LIST } from '../shared/event-sink';
import {
  fraudPatterns,
  httpUrl,
  outputFile,
  startTime,
  THRESHOLD_NAMES,
  thresholdOverrides,
} from './option-values';
import { FRAUD_PATTERNS, GeneratorOptionsError, TrafficOptions } from './traffic-generator';

export { UsageError } from '../shared/args';

export const INVOCATION = 'npm run generate --';

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

const GENERATE_OPTIONS = {
  rate: number({
    greaterThan: 0,
    default: 10,
    description: 'normal events per second of event time',
  }),
  duration: number({
    greaterThan: 0,
    placeholder: 'S',
    description: 'seconds of event time to generate (this or --count)',
  }),
  count: integer({
    min: 1,
    description: 'exact number of events, normal + injected (this or --duration)',
  }),
  users: integer({
    min: 1,
    description: 'distinct normal users',
    defaultText: '300 per event/s, at least 50',
  }),
  seed: integer({
    min: 0,
    default: 1,
    description: 'random seed; the same seed and --start give identical output',
  }),
  start: value(startTime, {
    placeholder: 'T',
    description:
      'event time of the first event: ISO-8601, "YYYY-MM-DD HH:MM:SS UTC", epoch ms, or "now"',
    defaultText: 'now rounded down to the minute (with --to: so that the stream ends at now)',
  }),
  disorderMs: integer({
    min: 0,
    default: 0,
    description: 'bounded shuffle: events up to N ms out of event-time order',
  }),
  noBursts: flag({ description: 'no short bursts of elevated traffic' }),
  fraud: value(fraudPatterns, {
    placeholder: 'LIST',
    description: `comma-separated patterns to inject, or "all": ${FRAUD_PATTERNS.join(', ')}`,
  }),
  nearMiss: flag({
    description: 'also inject cases exactly at the per-user thresholds (must not fire)',
  }),
  thresholds: value(thresholdOverrides, {
    placeholder: 'LIST',
    description: `override SPEC §7 thresholds, e.g. clickFlood=40,high_value=5000 (${THRESHOLD_NAMES.join(', ')})`,
  }),
  out: value(outputFile, {
    placeholder: 'FILE|-',
    description: 'write NDJSON to FILE or stdout',
    defaultText: 'stdout unless --to is given',
  }),
  manifest: text({
    placeholder: 'FILE|-',
    description:
      'write the manifest (alerts that must fire, near misses) as JSON; - (stdout) needs --out FILE',
  }),
  to: oneOf(['http', 'kafka'] as const, {
    description: 'send the events: to ingest (--url, --api-key) or into Kafka (--brokers, --topic)',
  }),
  url: value(httpUrl, {
    placeholder: 'URL',
    description: 'ingest base URL',
    defaultText: DEFAULT_INGEST_URL,
  }),
  apiKey: text({
    placeholder: 'KEY',
    description: 'ingest API key',
    defaultText: '$INGEST_API_KEY',
  }),
  brokers: text({
    placeholder: 'LIST',
    description: 'Kafka bootstrap servers',
    defaultText: `$KAFKA_BROKERS or ${DEFAULT_KAFKA_BROKERS_LIST}`,
  }),
  topic: text({
    placeholder: 'NAME',
    description: 'Kafka topic',
    defaultText: 'clickstream.events.v1',
  }),
  // No default in the table: given without --to it is a mistake, which the check must see.
  sendRate: number({
    min: 0,
    description: 'wall-clock events/s when sending; 0 = as fast as possible',
    defaultText: '0',
  }),
};

type GenerateValues = Values<typeof GENERATE_OPTIONS>;

export const GENERATE_COMMAND = defineCommand({
  invocation: INVOCATION,
  description: `Generates realistic clickstream traffic (tools/generate/traffic-generator.ts) and writes it as
NDJSON (streaming, constant memory) and/or sends it to ingest (HTTP) or straight into Kafka, at a
wall-clock rate. Give exactly one of --duration and --count.`,
  options: GENERATE_OPTIONS,
  epilog: `Prints a summary (to stderr when stdout carries the events); --manifest writes the alerts the
fraud detector must raise on the stream.
Exit status: 0 done, 1 failed or events rejected, 2 bad arguments.`,
  check: checkCombinations,
});

export const USAGE = formatHelp(GENERATE_COMMAND);

/** Options that only make sense together. */
function checkCombinations(values: GenerateValues): void {
  if ((values.duration === undefined) === (values.count === undefined)) {
    if (values.duration === undefined) {
      throw new UsageError('give --duration S or --count N', '--duration');
    }
    throw new UsageError('give --duration or --count, not both', '--count');
  }
  checkSending(values);
  if (values.manifest === '-' && outputOf(values) === '-') {
    throw new UsageError(
      '--manifest - needs --out to be a file (stdout carries the events)',
      '--manifest',
    );
  }
}

/** The options of sending, with the sink each is for (--send-rate: either). */
const SENDING_OPTIONS = [
  ['url', 'http'],
  ['apiKey', 'http'],
  ['sendRate', undefined],
  ['brokers', 'kafka'],
  ['topic', 'kafka'],
] as const;

/** An option of sending without --to, or of the other sink, is a mistake (a forgotten --to, say). */
function checkSending(values: GenerateValues): void {
  for (const [key, sink] of SENDING_OPTIONS) {
    if (values[key] === undefined) continue;
    const name = `--${flagName(key)}`;
    // --brokers and --topic without --to stay ignored rather than refused, as they always were.
    if (values.to === undefined && sink !== 'kafka') {
      throw new UsageError(`${name} needs --to http|kafka`, name);
    }
    if (values.to !== undefined && sink !== undefined && sink !== values.to) {
      throw new UsageError(`${name} is for --to ${sink}`, name);
    }
  }
}

/** The NDJSON output: the file given, else stdout unless the events are sent. */
function outputOf(values: GenerateValues): string | undefined {
  return values.out ?? (values.to === undefined ? '-' : undefined);
}

/** Parses argv (without node and script). `now` is used for the default --start. */
export function parseArgs(
  argv: readonly string[],
  now: number,
  env: NodeJS.ProcessEnv = {},
): CliOptions {
  const parsed = parseCommandLine(GENERATE_COMMAND, argv);
  if (parsed.help) {
    return {
      traffic: { seed: 1, startTime: 0, ratePerSecond: 1, durationSeconds: 1 },
      sendRate: 0,
      help: true,
    };
  }
  const { values } = parsed;
  const { to } = values;
  return {
    traffic: trafficOptions(values, now),
    out: outputOf(values),
    manifest: values.manifest,
    to,
    url: values.url,
    apiKey: values.apiKey ?? (to === 'http' ? env.INGEST_API_KEY : undefined),
    brokers: values.brokers,
    topic: values.topic,
    sendRate: values.sendRate ?? 0,
    help: false,
  };
}

function trafficOptions(values: GenerateValues, now: number): TrafficOptions {
  const { duration, count } = values;
  return {
    seed: values.seed,
    users: values.users,
    startTime: streamStart(values, now),
    ratePerSecond: values.rate,
    ...(duration !== undefined ? { durationSeconds: duration } : { count }),
    fraud: values.fraud ?? [],
    nearMiss: values.nearMiss,
    disorderMs: values.disorderMs,
    thresholds: values.thresholds ?? {},
    bursts: !values.noBursts,
  };
}

/** --start, else now rounded down to the minute. */
function streamStart(values: GenerateValues, now: number): number {
  if (values.start !== undefined && values.start !== 'now') return values.start;
  // Sent to ingest or Kafka, the stream ends at now by default: ingest refuses event times more
  // than 5 min ahead (SPEC §2), so a stream starting now would mostly be invalid.
  const seconds = values.duration ?? (values.count ?? 0) / values.rate;
  const spanMs = values.to !== undefined ? Math.ceil(seconds * 1000) : 0;
  return Math.floor((now - spanMs) / 60_000) * 60_000;
}

/** Which CLI option a library option comes from, for error messages. */
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

/** An option set the generator refuses (too few users for the rate, say), named by its CLI option. */
export function generatorUsageError(error: GeneratorOptionsError): UsageError {
  const name =
    FLAG_OF_OPTION[error.option] ??
    (error.option.startsWith('thresholds.') ? '--thresholds' : error.option);
  return new UsageError(`${name}: ${error.message}`, name);
}
