import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { readCsvEvents } from '@clickstream/contracts';
import { readFileSync } from 'node:fs';
import { readAll, startIngest } from './ingest-harness';

const ROOT = resolve(__dirname, '../../..');
const SAMPLE = resolve(ROOT, 'test/fixtures/rees46-2019-10-01-sample.csv');

function runReplay(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'tools/replay/cli.ts'), ...args],
      { cwd: ROOT },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => res({ code, stdout, stderr }));
  });
}

describe('replay CLI through the ingest API', () => {
  let ingest: Awaited<ReturnType<typeof startIngest>>;

  beforeAll(async () => {
    ingest = await startIngest();
  });

  afterAll(() => ingest.cleanup());

  it('sends the REES46 sample; its summary matches the topic contents', async () => {
    const run = await runReplay([
      SAMPLE,
      '--format',
      'rees46',
      '--to',
      'http',
      '--url',
      ingest.svc.url(''),
      '--batch',
      '250',
      '--no-progress',
    ]);
    expect({ code: run.code, stderr: run.stderr.slice(-500) }).toEqual({
      code: 0,
      stderr: expect.any(String),
    });
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
      sent: number;
      accepted: number;
      rejected: number;
      complete: boolean;
    };
    expect(summary.complete).toBe(true);

    let rows = 0;
    for await (const r of readCsvEvents(readFileSync(SAMPLE, 'utf8'), 'rees46'))
      if ('input' in r) rows++;
    expect(summary.sent).toBe(1000);
    expect(summary.accepted + summary.rejected).toBe(summary.sent);

    const events = await readAll(ingest.topics.events);
    const dlq = await readAll(ingest.topics.eventsDlq);
    expect(events.length).toBe(summary.accepted);
    expect(dlq.length).toBe(summary.rejected - (1000 - rows));
    const types = new Map<string, number>();
    for (const e of events)
      types.set(e.json.event_type as string, (types.get(e.json.event_type as string) ?? 0) + 1);
    // The sample's README: 987 view, 3 cart, 10 purchase.
    expect(Object.fromEntries(types)).toEqual({ view: 987, cart: 3, purchase: 10 });
    expect(new Set(events.map((e) => e.json.event_id)).size).toBe(events.length);
  });
});
