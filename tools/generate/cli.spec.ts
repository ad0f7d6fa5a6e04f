import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { EventSink, SendResult } from '../shared/event-sink';
import { parseArgs, runCli, SEND_BATCH, UsageError } from './cli';
import { FRAUD_PATTERNS, generateTraffic } from './traffic-generator';

const NOW = Date.UTC(2024, 4, 1, 12, 34, 56, 789);

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
}

async function cli(argv: string[], extra: Partial<Parameters<typeof runCli>[1]> = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, {
    stdout: stdout.stream,
    stderr: stderr.stream,
    now: () => NOW,
    env: {},
    ...extra,
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('generate CLI: arguments', () => {
  it('parses a full command line', () => {
    const opts = parseArgs(
      [
        '--users',
        '500',
        '--rate',
        '4',
        '--duration=3600',
        '--fraud',
        'click_flood,geo_velocity',
        '--near-miss',
        '--seed',
        '9',
        '--start',
        '2024-01-01T10:00:00Z',
        '--disorder-ms',
        '5000',
        '--out',
        'x.ndjson',
        '--manifest',
        'm.json',
        '--to',
        'http',
        '--url',
        'http://127.0.0.1:3001',
        '--api-key',
        'k',
        '--send-rate',
        '200',
        '--thresholds',
        'click_flood=40,highValue=5000',
      ],
      NOW,
    );
    expect(opts.traffic).toEqual({
      seed: 9,
      users: 500,
      startTime: Date.UTC(2024, 0, 1, 10),
      ratePerSecond: 4,
      durationSeconds: 3600,
      fraud: ['click_flood', 'geo_velocity'],
      nearMiss: true,
      disorderMs: 5000,
      thresholds: { clickFlood: 40, highValue: 5000 },
      bursts: true,
    });
    expect(opts).toMatchObject({
      out: 'x.ndjson',
      manifest: 'm.json',
      to: 'http',
      url: 'http://127.0.0.1:3001',
      apiKey: 'k',
      sendRate: 200,
    });
  });

  it('defaults: now rounded down to the minute, stdout, seed 1, all fraud with "all"', () => {
    const opts = parseArgs(['--count', '100', '--fraud', 'all'], NOW);
    expect(opts.traffic.startTime).toBe(Date.UTC(2024, 4, 1, 12, 34));
    expect(opts.traffic.count).toBe(100);
    expect(opts.traffic.seed).toBe(1);
    expect(opts.traffic.fraud).toEqual([...FRAUD_PATTERNS]);
    expect(opts.out).toBe('-');
    expect(parseArgs(['--count', '1', '--to', 'kafka'], NOW).out).toBeUndefined();
    // Sent somewhere, the stream ends at now (ingest refuses events more than 5 min ahead).
    expect(
      parseArgs(['--count', '36000', '--rate', '10', '--to', 'http'], NOW).traffic.startTime,
    ).toBe(Date.UTC(2024, 4, 1, 11, 34));
    expect(
      parseArgs(['--count', '1', '--to', 'http'], NOW, { INGEST_API_KEY: 'env-key' }).apiKey,
    ).toBe('env-key');
  });

  it.each([
    [['--rate', 'fast', '--duration', '10'], '--rate', '"fast"'],
    [['--rate=-1', '--duration', '10'], '--rate', '"-1"'],
    // A value that looks like an option must be attached with = (as node's parseArgs asks).
    [['--rate', '-1', '--duration', '10'], '--rate', 'needs a value'],
    [['--users', '2.5', '--duration', '10'], '--users', '"2.5"'],
    [['--duration', '0'], '--duration', '"0"'],
    [['--count', '1e3x'], '--count', '"1e3x"'],
    [['--rate', '5'], '--duration', '--duration S or --count N'],
    [['--duration', '5', '--count', '5'], '--count', 'not both'],
    [['--duration', '5', '--fraud', 'click_flood,teleport'], '--fraud', '"teleport"'],
    [['--duration', '5', '--start', 'tomorrow'], '--start', '"tomorrow"'],
    [['--duration', '5', '--seed=-3'], '--seed', '"-3"'],
    [['--duration', '5', '--disorder-ms', '1.5'], '--disorder-ms', '"1.5"'],
    [['--duration', '5', '--to', 'smtp'], '--to', '"smtp"'],
    [['--duration', '5', '--send-rate', '10'], '--send-rate', 'needs --to'],
    [['--duration', '5', '--to', 'http', '--url', 'ftp://x'], '--url', '"ftp://x"'],
    [['--duration', '5', '--to', 'kafka', '--url', 'http://x'], '--url', 'for --to http'],
    [['--duration', '5', '--thresholds', 'clickFlood'], '--thresholds', '"clickFlood"'],
    [['--duration', '5', '--thresholds', 'warp=3'], '--thresholds', '"warp=3"'],
    [['--duration', '5', '--thresholds', 'ipHopping=lots'], '--thresholds', '"lots"'],
    [['--duration', '5', '--frobnicate'], '--frobnicate', '"--frobnicate"'],
    [['--duration'], '--duration', 'needs a value'],
    [['--duration', '5', '--near-miss=yes'], '--near-miss', '"yes"'],
    [['--duration', '5', '--seed', '1', '--seed', '2'], '--seed', 'twice'],
  ])('rejects %j naming %s', (argv, flag, detail) => {
    let error: unknown;
    try {
      parseArgs(argv, NOW);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).option).toBe(flag);
    expect((error as UsageError).message).toContain(flag);
    expect((error as UsageError).message).toContain(detail);
  });
});

describe('generate CLI: running', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'generate-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with a message naming the flag and value for bad flags and impossible options', async () => {
    const bad = await cli(['--rate', 'x', '--duration', '60']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--rate: must be a number > 0 (got "x")');
    const tooFew = await cli(['--rate', '100', '--users', '10', '--duration', '60']);
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toMatch(/--rate: .*100 events\/s is too high for 10 users/);
    const tooShort = await cli(['--rate', '5', '--duration', '300', '--fraud', 'traffic_drop']);
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toContain('--fraud: traffic_drop does not fit');
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--near-miss');
  });

  it('writes NDJSON identical to the generator, and the manifest', async () => {
    const out = join(dir, 'events.ndjson');
    const manifestFile = join(dir, 'manifest.json');
    const args = [
      '--rate',
      '3',
      '--users',
      '300',
      '--duration',
      '2400',
      '--seed',
      '4',
      '--start',
      '2024-01-01 10:00:00 UTC',
      '--fraud',
      'click_flood,traffic_spike',
      '--near-miss',
    ];
    const res = await cli([...args, '--out', out, '--manifest', manifestFile]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const gen = generateTraffic({
      seed: 4,
      users: 300,
      ratePerSecond: 3,
      durationSeconds: 2400,
      startTime: Date.UTC(2024, 0, 1, 10),
      fraud: ['click_flood', 'traffic_spike'],
      nearMiss: true,
      disorderMs: 0,
      thresholds: {},
      bursts: true,
    });
    const expected = [...gen.events()].map((e) => JSON.stringify(e)).join('\n') + '\n';
    expect(readFileSync(out, 'utf8')).toBe(expected);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    expect(manifest).toEqual(JSON.parse(JSON.stringify(gen.manifest())));
    expect(
      manifest.expected
        .filter((a: { source: string }) => a.source === 'injected')
        .map((a: { rule: string }) => a.rule)
        .sort(),
    ).toEqual(['click_flood', 'traffic_spike']);
    expect(res.stdout).toContain(`generated ${gen.totalEvents.toLocaleString('en-US')} events`);
    expect(res.stdout).toMatch(/click_flood\s+fraud-click_flood-1/);

    // stdout output: events on stdout, summary on stderr
    const toStdout = await cli(args);
    expect(toStdout.stdout).toBe(expected);
    expect(toStdout.stderr).toContain('expected alerts');
  });

  it('sends in batches of 500 through the event sink and prints a summary', async () => {
    const batches: unknown[][] = [];
    let closed = false;
    const sink: EventSink = {
      async send(events: unknown[]): Promise<SendResult> {
        batches.push(events);
        // reject the first event of the second batch, to see the summary and the exit code
        return batches.length === 2
          ? {
              accepted: events.length - 1,
              rejected: 1,
              errors: [{ index: 0, field: 'price', message: 'must be a number >= 0 (got -1)' }],
            }
          : { accepted: events.length, rejected: 0, errors: [] };
      },
      async close() {
        closed = true;
      },
    };
    const seen: unknown[] = [];
    const res = await cli(
      [
        '--count',
        '1234',
        '--rate',
        '2',
        '--users',
        '100',
        '--start',
        '2024-01-01T00:00:00Z',
        '--to',
        'http',
        '--url',
        'http://ingest:3001',
        '--api-key',
        'secret',
      ],
      {
        createSink: async (opts) => {
          seen.push(opts);
          return sink;
        },
      },
    );
    expect(seen).toEqual([
      {
        to: 'http',
        url: 'http://ingest:3001',
        apiKey: 'secret',
        brokers: undefined,
        topic: undefined,
      },
    ]);
    expect(batches.map((b) => b.length)).toEqual([SEND_BATCH, SEND_BATCH, 234]);
    expect(closed).toBe(true);
    expect(res.stdout).toContain(
      'sent 1,234 events to http://ingest:3001: accepted 1,233, rejected 1',
    );
    expect(res.stdout).toContain('event 500: price: must be a number >= 0 (got -1)');
    expect(res.code).toBe(1);
  });
});
