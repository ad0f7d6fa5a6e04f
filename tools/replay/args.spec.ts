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

  it.each([
    ['', 'missing <file> to replay'],
    ['a.csv b.csv', 'one file at a time (got "a.csv", "b.csv")'],
    [
      'a.txt',
      'cannot tell the format of "a.txt" from its extension (.ndjson, .jsonl or .csv); pass --format ndjson|rees46|retailrocket|clicks|auto',
    ],
    [
      'a.csv --format parquet',
      '--format "parquet" is not valid: expected ndjson, rees46, retailrocket, clicks, auto',
    ],
    ['a.csv --rate 0', '--rate "0" is not valid: expected a number of events per second > 0'],
    ['a.csv --rate fast', '--rate "fast" is not valid: expected a number of events per second > 0'],
    ['a.csv --rate=-5', '--rate "-5" is not valid: expected a number of events per second > 0'],
    [
      'a.csv --speedup Infinity',
      '--speedup "Infinity" is not valid: expected a factor > 0 (1 = real time, 60 = a minute per second)',
    ],
    [
      'a.csv --rate 10 --speedup 2',
      '--rate and --speedup exclude each other: pace by wall clock or by event time',
    ],
    ['a.csv --to s3', '--to "s3" is not valid: expected http or kafka'],
    ['a.csv --batch 0', '--batch "0" is not valid: expected an integer from 1 to 10000'],
    ['a.csv --batch 20000', '--batch "20000" is not valid: expected an integer from 1 to 10000'],
    ['a.csv --batch 1.5', '--batch "1.5" is not valid: expected an integer from 1 to 10000'],
    [
      'a.csv --concurrency 100',
      '--concurrency "100" is not valid: expected an integer from 1 to 64',
    ],
    ['a.csv --limit -1', '--limit "-1" is not valid: expected an integer >= 1'],
    ['a.csv --url localhost:3001', '--url "localhost:3001" must be an http:// or https:// URL'],
    ['a.csv --url=', '--url "" must be an http:// or https:// URL'],
    ['a.csv --api-key=', '--api-key "" is not valid: expected a non-empty key'],
    [
      'a.csv --to kafka --brokers localhost',
      '--brokers "localhost": broker "localhost" must be host:port',
    ],
    [
      'a.csv --to kafka --topic bad/name',
      '--topic "bad/name" is not valid: expected a Kafka topic name (letters, digits, . _ -)',
    ],
    ['a.csv --brokers k:9', '--brokers applies to --to kafka only (sending with --to http)'],
    [
      'a.csv --to kafka --api-key k',
      '--api-key applies to --to http only (sending with --to kafka)',
    ],
    ['a.csv --speed 2', 'unknown flag --speed'],
    ['a.csv -r 2', 'unknown flag -r'],
    ['a.csv --rate', '--rate needs a value'],
    ['a.csv --rate --batch 2', '--rate needs a value'],
    ['a.csv --batch 1 --batch 2', '--batch given twice'],
    ['a.csv --no-progress=1', '--no-progress takes no value'],
  ])('refuses %p', (args, message) => {
    const run = () => parse(args);
    expect(run).toThrow(UsageError);
    expect(run).toThrow(message);
  });

  it('names the environment variable when that is what is wrong', () => {
    expect(() => parse('a.csv', { INGEST_URL: 'nope' })).toThrow(
      'INGEST_URL "nope" must be an http:// or https:// URL',
    );
    expect(() => parse('a.csv --to kafka', { KAFKA_BROKERS: 'x' })).toThrow(
      'KAFKA_BROKERS "x": broker "x" must be host:port',
    );
    // The other sink's settings are not checked.
    expect(() => parse('a.csv --to kafka', { INGEST_URL: 'nope' })).not.toThrow();
  });
});
