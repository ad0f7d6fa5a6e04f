import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { serviceArgv } from '../../tools/shared/service-launch';
import { waitFor } from './wait-for';

export const ROOT = resolve(__dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address ? res(address.port) : rej(new Error('no port')),
      );
    });
  });
}

export interface RunningService {
  name: string;
  port: number;
  child: ChildProcess;
  output(): string;
  url(path: string): string;
  /** Resolves with how the process ended: an exit code, or the signal it re-raised after cleanup. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a compiled service (`npm test` builds first) as a child process on a free port. */
export async function startService(
  name: string,
  env: NodeJS.ProcessEnv = {},
): Promise<RunningService> {
  const port = await freePort();
  const child = spawn(process.execPath, serviceArgv(name), {
    env: {
      ...process.env,
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  return {
    name,
    port,
    child,
    output: () => out,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Waits until GET path answers 200 (the process must still be alive). */
export async function waitForHttpOk(
  svc: RunningService,
  path: string,
  timeoutMs = 30_000,
): Promise<Response> {
  return waitFor(
    async () => {
      if (svc.child.exitCode !== null)
        throw new Error(`${svc.name} exited ${svc.child.exitCode}: ${svc.output()}`);
      const res = await fetch(svc.url(path));
      return res.status === 200 ? res : undefined;
    },
    { timeoutMs, what: `${svc.name} ${path} = 200` },
  );
}

/** Runs a service that must fail at boot; resolves with its exit code and output. */
export function runToExit(
  name: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 20_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, serviceArgv(name), {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${name} did not exit within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, output });
    });
  });
}
