import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const CLI = join(__dirname, 'cli.ts');
const FIXTURE = join(__dirname, '__fixtures__', 'events.ndjson');

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX, CLI, ...args],
      { cwd: ROOT, env: { ...process.env, INGEST_API_KEY: '' } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

describe('replay CLI (process)', () => {
  let server: Server;
  let url: string;
  let requests = 0;

  beforeAll(async () => {
    // Stand-in for ingest: one 503 with Retry-After, then 202 accepting every line.
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        requests += 1;
        if (requests === 1) {
          res.writeHead(503, { 'retry-after': '0' }).end('{"accepted":0,"rejected":0,"errors":[]}');
          return;
        }
        const n = body.split('\n').filter((l) => l.trim()).length;
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: n, rejected: 0, errors: [] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('replays a file, prints a summary and ends with the JSON line', async () => {
    const { code, stdout } = await runCli([FIXTURE, '--url', url, '--batch', '4']);
    expect(code).toBe(0);
    expect(stdout).toContain('replay done');
    expect(JSON.parse(lastLine(stdout))).toMatchObject({
      sent: 7,
      accepted: 6,
      rejected: 1,
      read_rejected: 1,
      requests: 2,
      complete: true,
    });
    expect(requests).toBe(3); // the first batch twice (503, then 202), the second once
  }, 30_000);

  it('exits 2 on a bad flag, naming it', async () => {
    const { code, stderr, stdout } = await runCli([FIXTURE, '--batch', 'lots']);
    expect(code).toBe(2);
    expect(stderr).toContain('--batch: must be an integer from 1 to 10000 (got "lots")');
    expect(stdout).toBe('');
  }, 30_000);
});
