import { parseReplayArgs, UsageError } from './args';

const parse = (args: string, env: Record<string, string> = {}) =>
  parseReplayArgs(args.split(' ').filter(Boolean), env);
const options = (args: string, env: Record<string, string> = {}) => {
  const parsed = parse(args, env);
  if (parsed.help) throw new Error('unexpected help');
  return parsed;
};

describe('parseReplayArgs', () => {
  it('has defaults for everything but the file', () => {
    expect(options('data.ndjson')).toEqual({
      help: false,
      file: 'data.ndjson',
      format: 'ndjson',
      gzip: false,
      rate: undefined,
      speedup: undefined,
      to: 'http',
      url: 'http://127.0.0.1:3001',
      apiKey: undefined,
      brokers: '127.0.0.1:19092',
      topic: undefined,
      topicPrefix: undefined,
      maxAttempts: undefined,
      maxRetrySeconds: undefined,
      batch: 500,
      concurrency: 1,
      limit: undefined,
      progress: true,
    });
  });

  it('reads every flag, as --flag value and --flag=value', () => {
    const http = options(
      '--rate 250.5 x.csv --url=https://ingest.example/api --api-key k --batch=1000 --format rees46 --limit 10 --no-progress',
    );
    expect(http).toMatchObject({
      file: 'x.csv',
      rate: 250.5,
      url: 'https://ingest.example/api',
      apiKey: 'k',
      batch: 1000,
      format: 'rees46',
      limit: 10,
      progress: false,
    });
    const kafka = options(
      'x.jsonl.gz --to kafka --brokers a:1,b:2 --topic t.v1 --topic-prefix ci. --speedup 60 --concurrency 4',
    );
    expect(kafka).toMatchObject({
      file: 'x.jsonl.gz',
      format: 'ndjson',
      gzip: true,
      to: 'kafka',
      brokers: 'a:1,b:2',
      topic: 't.v1',
      topicPrefix: 'ci.',
      speedup: 60,
      concurrency: 4,
    });
  });

  it('takes defaults from the environment', () => {
    const env = {
      INGEST_URL: 'http://h:1',
      INGEST_API_KEY: 'secret',
      KAFKA_BROKERS: 'k:9',
      KAFKA_TOPIC_PREFIX: 'p.',
    };
    expect(options('a.csv', env)).toMatchObject({ url: 'http://h:1', apiKey: 'secret' });
    expect(options('a.csv --to kafka', env)).toMatchObject({ brokers: 'k:9', topicPrefix: 'p.' });
  });

  it('guesses the format from the extension', () => {
    expect(options('a.ndjson').format).toBe('ndjson');
    expect(options('a.JSONL').format).toBe('ndjson');
    expect(options('a.csv').format).toBe('auto');
    expect(options('a.csv.gz')).toMatchObject({ format: 'auto', gzip: true });
    expect(options('a.txt --format clicks').format).toBe('clicks');
  });

  it('answers help', () => {
    expect(parse('--help')).toEqual({ help: true });
    expect(parse('a.csv --rate nope -h')).toEqual({ help: true });
  });
});

describe('parseReplayArgs refusals', () => {
  it.each([
    ['', 'missing <file>'],
    ['a.csv b.csv', 'unexpected argument "b.csv"'],
    [
      'a.txt',
      'cannot tell the format of "a.txt" from its extension (.ndjson, .jsonl or .csv); pass --format ndjson|rees46|retailrocket|clicks|auto',
    ],
    [
      'a.csv --format parquet',
      '--format: must be one of ndjson, rees46, retailrocket, clicks, auto (got "parquet")',
    ],
    ['a.csv --rate 0', '--rate: must be a number > 0 (got "0")'],
    ['a.csv --rate fast', '--rate: must be a number > 0 (got "fast")'],
    ['a.csv --rate=-5', '--rate: must be a number > 0 (got "-5")'],
    ['a.csv --speedup Infinity', '--speedup: must be a number > 0 (got "Infinity")'],
    [
      'a.csv --rate 10 --speedup 2',
      '--rate and --speedup exclude each other: pace by wall clock or by event time',
    ],
    ['a.csv --to s3', '--to: must be one of http, kafka (got "s3")'],
    ['a.csv --batch 0', '--batch: must be an integer from 1 to 10000 (got "0")'],
    ['a.csv --batch 20000', '--batch: must be an integer from 1 to 10000 (got "20000")'],
    ['a.csv --batch 1.5', '--batch: must be an integer from 1 to 10000 (got "1.5")'],
    ['a.csv --concurrency 100', '--concurrency: must be an integer from 1 to 64 (got "100")'],
    ['a.csv --limit=-1', '--limit: must be a positive integer (got "-1")'],
    ['a.csv --limit -1', '--limit: needs a value'],
    [
      'a.csv --url localhost:3001',
      '--url: must be an http:// or https:// URL (got "localhost:3001")',
    ],
    ['a.csv --url=', '--url: must be an http:// or https:// URL (got "")'],
    ['a.csv --api-key=', '--api-key: must not be empty (got "")'],
    [
      'a.csv --to kafka --brokers localhost',
      '--brokers: broker "localhost" must be host:port (got "localhost")',
    ],
    [
      'a.csv --to kafka --topic bad/name',
      '--topic: must be a Kafka topic name (letters, digits, . _ -) (got "bad/name")',
    ],
    ['a.csv --brokers k:9', '--brokers applies to --to kafka only (sending with --to http)'],
    [
      'a.csv --to kafka --api-key k',
      '--api-key applies to --to http only (sending with --to kafka)',
    ],
    ['a.csv --speed 2', 'unknown option "--speed"'],
    ['a.csv -r 2', 'unknown option "-r"'],
    ['a.csv --rate', '--rate: needs a value'],
    ['a.csv --rate --batch 2', '--rate: needs a value'],
    ['a.csv --batch 1 --batch 2', '--batch: given twice'],
    ['a.csv --no-progress=1', '--no-progress: takes no value (got "1")'],
  ])('refuses %p', (args, message) => {
    const run = () => parse(args);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  it('names the environment variable when that is what is wrong', () => {
    expect(() => parse('a.csv', { INGEST_URL: 'nope' })).toThrow(
      'INGEST_URL: must be an http:// or https:// URL (got "nope")',
    );
    expect(() => parse('a.csv --to kafka', { KAFKA_BROKERS: 'x' })).toThrow(
      'KAFKA_BROKERS: broker "x" must be host:port (got "x")',
    );
    // The other sink's settings are not checked.
    expect(() => parse('a.csv --to kafka', { INGEST_URL: 'nope' })).not.toThrow();
  });
});
