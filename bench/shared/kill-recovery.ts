/**
 * bench:e2e --kill: what a processor's SIGKILL costs under live traffic. The processor is killed
 * mid-run and started again in its place; this measures what its restore replays (the state log's
 * rows the kill left), how long the new instance takes to open every task, and how long until it
 * has caught up. Exactly-once across the kill is the tests' to prove (sessionizer-crash,
 * pipeline); here the flood probe still requires an alert for every flood.
 */
import { Pool } from 'pg';
import { metricPrefix } from '@clickstream/platform';
import { InvalidValue } from '../../tools/shared/args';
import { sumSamples } from '../../test/support/scraped-metrics';
import { BenchStack, sleep } from './bench-stack';

export interface KillSpec {
  service: string;
  atSeconds: number;
}

export interface KillResult {
  service: string;
  atSeconds: number;
  /** The state log's rows of the killed processor right after the kill: what its restores replay. */
  logRowsLeft: number;
  /** Kill to the new instance's /health/ready. */
  startMs: number;
  /** Kill to every task opened (its restore histogram counted every partition it owns). */
  openMs: number | null;
  tasks: number;
  /** The new instance's mean restore per task (its `task restored` lines have each one). */
  restoreMeanMs: number | null;
  /** Kill to the processor's lag back within one second of traffic (null: not by the run's end). */
  catchUpMs: number | null;
  /** Its largest lag while it caught up. */
  peakLag: number;
}

/** Parses `sessionizer@60`: the processor and the second of the run at which it is killed. */
export function killParser(processors: readonly string[]): (text: string) => KillSpec {
  return (text) => {
    const match = /^([a-z-]+)@(\d+)$/.exec(text);
    if (!match || !processors.includes(match[1]))
      throw new InvalidValue(
        `must be <processor>@<seconds>, the processor one of ${processors.join(', ')}`,
      );
    return { service: match[1], atSeconds: Number(match[2]) };
  };
}

/** Tasks the service has opened and their restore seconds in all, from its own /metrics. */
async function restores(url: string, service: string): Promise<{ count: number; seconds: number }> {
  const name = `${metricPrefix(service)}_task_restore_duration_seconds`;
  try {
    const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) }).then((r) =>
      r.text(),
    );
    return {
      count: sumSamples(text, `${name}_count`) ?? 0,
      seconds: sumSamples(text, `${name}_sum`) ?? 0,
    };
  } catch {
    return { count: 0, seconds: 0 }; // not answering yet: nothing opened
  }
}

async function ownedTasks(pool: Pool, group: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM stream_offsets WHERE group_id = $1`,
    [group],
  );
  return Number(rows[0].n);
}

/**
 * Kills `spec.service` with SIGKILL, starts it again and follows it until it has caught up or
 * `deadline` passes. `rate` is the offered rate (events/s): caught up is a lag under one second of it.
 */
export async function killAndRecover(
  stack: BenchStack,
  spec: KillSpec,
  rate: number,
  deadline: number,
): Promise<KillResult> {
  const group = stack.group(spec.service);
  const killedAt = Date.now();
  await stack.kill(spec.service);
  const { rows } = await stack.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM stream_state_log WHERE app_id = $1`,
    [group],
  );
  const svc = await stack.start(spec.service);
  const startMs = Date.now() - killedAt;
  const tasks = await ownedTasks(stack.pool, group);
  let opened = await restores(svc.url, spec.service);
  while (opened.count < tasks && Date.now() < deadline) {
    await sleep(200);
    opened = await restores(svc.url, spec.service);
  }
  const openMs = opened.count >= tasks ? Date.now() - killedAt : null;
  let catchUpMs: number | null = null;
  let peakLag = 0;
  while (catchUpMs === null && Date.now() < deadline) {
    const lag = (await stack.lag([spec.service]))[spec.service];
    peakLag = Math.max(peakLag, lag);
    if (lag <= rate) catchUpMs = Date.now() - killedAt;
    else await sleep(500);
  }
  return {
    ...spec,
    logRowsLeft: Number(rows[0].n),
    startMs,
    openMs,
    tasks,
    restoreMeanMs: opened.count ? (opened.seconds / opened.count) * 1000 : null,
    catchUpMs,
    peakLag,
  };
}

export function reportKill(kill: KillResult): string {
  const s = (ms: number | null) => (ms === null ? 'not by the end' : `${(ms / 1000).toFixed(1)} s`);
  return `SIGKILL ${kill.service} at ${kill.atSeconds} s: ${kill.logRowsLeft.toLocaleString('en-US')} state log rows left to replay; ready ${s(kill.startMs)}, all ${kill.tasks} tasks open ${s(kill.openMs)} after the kill (restore mean ${kill.restoreMeanMs === null ? '—' : `${kill.restoreMeanMs.toFixed(0)} ms`}); caught up (lag ≤ 1 s of traffic) ${s(kill.catchUpMs)} after the kill, lag at most ${kill.peakLag.toLocaleString('en-US')}`;
}
