/**
 * npm run replay -- <file> [--format ndjson|rees46|retailrocket|clicks|auto] [--rate N | --speedup N]
 *                  [--to http|kafka] [--url URL] [--api-key K] [--brokers H:P] [--topic T] [--topic-prefix P]
 *                  [--max-attempts 10] [--max-retry-s 120]
 *                  [--batch 500] [--concurrency 1] [--limit N] [--no-progress]
 *
 * Streams a CSV or NDJSON file (any size, .gz too) into ingest's POST /v1/events as NDJSON batches,
 * or straight into Kafka as ingest would. CSV rows are mapped client-side by the contracts' mapper;
 * the server (or, with --to kafka, the contracts' validator) validates them like any event.
 * Prints a summary and, last, one JSON line with sent/accepted/rejected/duration_s/rate_eps.
 */
import { statSync } from 'node:fs';
import { createEventSink, EventSink } from '../shared/event-sink';
import { KafkaEventSink } from '../shared/kafka-event-sink';
import { usageErrorText } from '../shared/args';
import { ReplayOptions, USAGE, UsageError, parseReplayArgs } from './args';
import { emptyStats, Replay } from './replay';
import { errorMessage, startProgress, SummaryContext, summaryJson, summaryLines } from './report';
import { OpenedSource, openSource } from './source';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (typeof options === 'number') return options;
  let source: OpenedSource | undefined;
  let sink: EventSink | undefined;
  try {
    source = openSource(options.file, options.format, options.gzip);
    sink = await openSink(options);
  } catch (error) {
    source?.close();
    console.error(`replay: ${errorMessage(error)}`);
    // Still end with the JSON line, so a script always has one to parse.
    console.log(summaryJson({ stats: emptyStats(), error, interrupted: false }));
    return EXIT_FAILED;
  }
  const outcome = await replayFile(options, source, sink);
  if (outcome.error !== undefined) console.error(`replay: ${errorMessage(outcome.error)}`);
  for (const line of summaryLines(outcome, describeRun(options, sink))) console.log(line);
  console.log(summaryJson(outcome));
  if (outcome.error !== undefined) return EXIT_FAILED;
  return outcome.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
}

/** The options, or the exit status when there is nothing to replay (help, a bad command line). */
function parseOptions(argv: string[]): ReplayOptions | number {
  try {
    const parsed = parseReplayArgs(argv, process.env);
    if (parsed.help) {
      console.log(USAGE);
      return EXIT_OK;
    }
    checkFile(parsed.file);
    return parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(usageErrorText('replay', 'npm run replay --', error));
    return EXIT_USAGE;
  }
}

function openSink(options: ReplayOptions): Promise<EventSink> {
  return createEventSink({
    to: options.to,
    url: options.url,
    apiKey: options.apiKey,
    brokers: options.brokers,
    topic: options.topic,
    kafka: { source: 'replay', topicPrefix: options.topicPrefix },
    http: {
      retry: {
        ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        ...(options.maxRetrySeconds !== undefined
          ? { maxElapsedMs: options.maxRetrySeconds * 1000 }
          : {}),
      },
    },
  });
}

/** Runs the replay with progress and Ctrl-C handling; closes the source and the sink. */
async function replayFile(options: ReplayOptions, source: OpenedSource, sink: EventSink) {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(EXIT_INTERRUPTED); // second Ctrl-C: do not wait
    console.error('\nreplay: interrupted, sending what was read (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const replay = new Replay({
    items: source.items,
    sink,
    batch: options.batch,
    concurrency: options.concurrency,
    rate: options.rate,
    speedup: options.speedup,
    limit: options.limit,
    signal: abort.signal,
  });
  const progress = startProgress(
    {
      stats: replay.stats,
      elapsedMs: () => replay.elapsedMs,
      bytesRead: () => source.bytesRead(),
      totalBytes: source.totalBytes,
      limit: options.limit,
    },
    {
      enabled: options.progress,
      tty: process.stdout.isTTY === true,
      write: (line) => console.log(line),
    },
  );
  const outcome = await replay.run();
  progress.stop();
  process.off('SIGINT', onSigint);
  source.close();
  await sink
    .close()
    .catch((error: unknown) => console.error(`replay: closing the sink: ${errorMessage(error)}`));
  return outcome;
}

/** What the summary says about the run: file, format, target, pacing. */
function describeRun(options: ReplayOptions, sink: EventSink): SummaryContext {
  return {
    file: options.file,
    format: options.format === 'auto' ? 'CSV, format from the header' : options.format,
    target:
      options.to === 'http'
        ? `${options.url.replace(/\/+$/, '')}/v1/events`
        : sink instanceof KafkaEventSink
          ? `kafka ${options.brokers} -> ${sink.topic} (invalid events: ${sink.dlqTopic})`
          : `kafka ${options.brokers}`,
    pacing:
      options.rate !== undefined
        ? `--rate ${options.rate} events/s`
        : options.speedup !== undefined
          ? `--speedup ${options.speedup}x event time`
          : 'as fast as the sink takes them',
  };
}

/** The file must exist and be a file: a usage error (exit 2), like a bad flag. */
function checkFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? 'no such file' : errorMessage(error);
    throw new UsageError(`<file>: ${problem} (got ${JSON.stringify(file)})`, '<file>');
  }
  if (!isFile) {
    throw new UsageError(`<file>: must be a regular file (got ${JSON.stringify(file)})`, '<file>');
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit explicitly: pooled keep-alive sockets and kafkajs timers must not hold the process.
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    console.error(
      `replay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(EXIT_FAILED);
  },
);
