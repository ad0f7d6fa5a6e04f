import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './services';
import { waitFor } from './wait-for';

/** Debian's prometheus package (`.ci/run` installs it); PROMETHEUS_BIN points elsewhere. */
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export interface ScrapeJob {
  job: string;
  /** host:port of each target; scraped at /metrics. */
  targets: string[];
}

export interface PromSeries {
  metric: Record<string, string>;
  /** Instant queries: [unix seconds, value]. */
  value?: [number, string];
  /** Range queries: [unix seconds, value] per step. */
  values?: Array<[number, string]>;
}

/** A query Prometheus refused (bad_data: it does not parse) or could not run. */
export class PromQueryError extends Error {
  constructor(
    readonly expr: string,
    readonly errorType: string,
    readonly detail: string,
  ) {
    super(`${errorType}: ${detail} (query: ${expr})`);
  }
}

export interface RunningPrometheus {
  url: string;
  /** Instant query at `time` (default now). */
  query(expr: string, time?: Date): Promise<PromSeries[]>;
  /** Range query over [start, end] every `stepSeconds`, as a Grafana time series panel runs it. */
  queryRange(expr: string, start: Date, end: Date, stepSeconds: number): Promise<PromSeries[]>;
  /** Values of a label on the series `match` selects, as Grafana's label_values(match, label). */
  labelValues(label: string, match: string): Promise<string[]>;
  /** Waits until every target of every job was scraped successfully. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

/** Config of a throw-away server: every target scraped every second, as fast as a test needs. */
function configYaml(jobs: ScrapeJob[]): string {
  const lines = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
  ];
  for (const j of jobs) {
    lines.push(
      `  - job_name: ${JSON.stringify(j.job)}`,
      '    metrics_path: /metrics',
      '    static_configs:',
      `      - targets: ${JSON.stringify(j.targets)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts the real Prometheus server on a free 127.0.0.1 port with a temporary config and TSDB, and
 * waits until it is ready. `stop()` ends it (SIGTERM, then SIGKILL) and removes the directory.
 */
export async function startPrometheus(
  jobs: ScrapeJob[],
  o: { bin?: string; readyTimeoutMs?: number; requestTimeoutMs?: number } = {},
): Promise<RunningPrometheus> {
  const bin = o.bin ?? PROMETHEUS_BIN;
  if (!existsSync(bin)) {
    throw new Error(
      `Prometheus server not found at ${bin}: install Debian's "prometheus" package (.ci/run does) or set PROMETHEUS_BIN`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'clickstream-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), configYaml(jobs));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const prom = client(
    url,
    timeoutMs,
    jobs,
    () => out,
    () => stop(child, exited, dir),
  );
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${out}`);
        return (
          (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).status === 200
        );
      },
      {
        timeoutMs: o.readyTimeoutMs ?? 30_000,
        intervalMs: 100,
        what: `prometheus ready at ${url}`,
      },
    );
  } catch (err) {
    await prom.stop();
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return prom;
}

async function stop(
  child: ChildProcess,
  exited: Promise<void>,
  dir: string,
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        r();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}

function client(
  url: string,
  timeoutMs: number,
  jobs: ScrapeJob[],
  output: () => string,
  stopIt: () => Promise<void>,
): RunningPrometheus {
  // Queries go as POST forms (no URL length limit); the read-only endpoints answer GET.
  const api = async <T>(
    path: string,
    params: Record<string, string>,
    expr = '',
    method: 'GET' | 'POST' = 'POST',
  ): Promise<T> => {
    const form = new URLSearchParams(params);
    const res = await fetch(method === 'GET' ? `${url}${path}?${form}` : `${url}${path}`, {
      method,
      ...(method === 'POST' ? { body: form } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as {
      status: string;
      data: T;
      errorType?: string;
      error?: string;
    };
    if (body.status !== 'success')
      throw new PromQueryError(
        expr,
        body.errorType ?? String(res.status),
        body.error ?? 'unknown error',
      );
    return body.data;
  };
  const seconds = (d: Date) => String(d.getTime() / 1000);
  return {
    url,
    output,
    stop: stopIt,
    async query(expr, time) {
      const data = await api<{ result: PromSeries[] | [number, string] }>(
        '/api/v1/query',
        { query: expr, ...(time ? { time: seconds(time) } : {}) },
        expr,
      );
      // A scalar answer (e.g. `time()`) becomes one series without labels.
      return Array.isArray(data.result) && typeof data.result[0] === 'number'
        ? [{ metric: {}, value: data.result as [number, string] }]
        : (data.result as PromSeries[]);
    },
    async queryRange(expr, start, end, stepSeconds) {
      const params = {
        query: expr,
        start: seconds(start),
        end: seconds(end),
        step: String(stepSeconds),
      };
      return (await api<{ result: PromSeries[] }>('/api/v1/query_range', params, expr)).result;
    },
    labelValues(label, match) {
      return api<string[]>(
        `/api/v1/label/${encodeURIComponent(label)}/values`,
        { 'match[]': match },
        match,
        'GET',
      );
    },
    async waitForTargetsUp(waitMs = 30_000) {
      const expected = jobs.reduce((n, j) => n + j.targets.length, 0);
      let last = '';
      await waitFor(
        async () => {
          const data = await api<{
            activeTargets: Array<{
              health: string;
              labels: Record<string, string>;
              lastError: string;
            }>;
          }>('/api/v1/targets', { state: 'active' }, '', 'GET');
          last = data.activeTargets
            .map((t) => `${t.labels.job} ${t.labels.instance} ${t.health} ${t.lastError}`)
            .join('; ');
          return (
            data.activeTargets.length === expected &&
            data.activeTargets.every((t) => t.health === 'up')
          );
        },
        { timeoutMs: waitMs, intervalMs: 200, what: `all ${expected} targets up` },
      ).catch((err: Error) => {
        throw new Error(`${err.message} (targets: ${last})`);
      });
    },
  };
}
