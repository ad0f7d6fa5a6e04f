/**
 * BENCH_CONTAINER_MEMORY=1: each service runs in a cgroup-v1 memory group with the memory limit
 * docker-compose.yml gives its container (Kubernetes' base gives the processors the same). Node sizes V8's heap from that
 * limit (libuv reads the process's cgroup), so its garbage collector works as in the container,
 * not as on a 24 GB host where V8 lets the old generation grow to several times the live data.
 * Needs root and the v1 memory controller at /sys/fs/cgroup/memory (this machine kind has both).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const MEMORY_ROOT = '/sys/fs/cgroup/memory';
const COMPOSE_FILE = resolve(__dirname, '../../docker-compose.yml');

export const containerMemoryWanted = () => process.env.BENCH_CONTAINER_MEMORY === '1';

/** Compose's `deploy.resources.limits.memory` of `service`, in bytes ("768M", "1G", "1536M"). */
export function composeMemoryLimit(service: string, composeText?: string): number {
  const compose = parse(composeText ?? readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as {
    services: Record<string, { deploy?: { resources?: { limits?: { memory?: string } } } }>;
  };
  const memory = compose.services[service]?.deploy?.resources?.limits?.memory;
  const match = /^(\d+)([KMG])$/i.exec(memory ?? '');
  if (!match)
    throw new Error(
      `docker-compose.yml: service ${service} has no memory limit in K, M or G (got ${JSON.stringify(memory)})`,
    );
  const unit = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[match[2].toUpperCase() as 'K' | 'M' | 'G'];
  return Number(match[1]) * unit;
}

/** One service's memory group: created with the limit, joined by the service, removed after it exits. */
export class MemoryGroup {
  readonly dir: string;

  constructor(
    readonly name: string,
    readonly limitBytes: number,
  ) {
    if (!existsSync(join(MEMORY_ROOT, 'memory.limit_in_bytes')))
      throw new Error(
        `BENCH_CONTAINER_MEMORY=1 needs the cgroup-v1 memory controller at ${MEMORY_ROOT} (and root)`,
      );
    this.dir = join(MEMORY_ROOT, name);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, 'memory.limit_in_bytes'), String(limitBytes));
  }

  /**
   * `node`'s command line wrapped so the process joins the group before node starts (Node reads
   * the limit once, when it sizes the heap); `exec` keeps the pid, so /proc figures stay its own.
   */
  wrap(command: string, args: string[]): { command: string; args: string[] } {
    const script = 'echo $$ > "$0/cgroup.procs" && exec "$@"';
    return { command: '/bin/sh', args: ['-c', script, this.dir, command, ...args] };
  }

  /** Peak usage and how often the limit was hit (the kernel reclaimed or killed to stay under it). */
  stats(): { peakBytes: number; limitHits: number; oomKills: number } {
    const read = (file: string) => readFileSync(join(this.dir, file), 'utf8');
    const oomKill = /^oom_kill (\d+)$/m.exec(read('memory.oom_control'));
    return {
      peakBytes: Number(read('memory.max_usage_in_bytes')),
      limitHits: Number(read('memory.failcnt')),
      oomKills: oomKill ? Number(oomKill[1]) : 0,
    };
  }

  /** One line for the run's output: limit, peak, limit hits and OOM kills. */
  report(): string {
    const { peakBytes, limitHits, oomKills } = this.stats();
    return `memory group ${this.name}: limit ${this.limitBytes / 2 ** 20} MB, peak ${Math.round(peakBytes / 2 ** 20)} MB, limit reached ${limitHits} times, OOM kills ${oomKills}`;
  }

  /** Removes the group once its processes have exited; one still busy is left and named. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch (err) {
      // EBUSY while a process is still in it: each run's names are new, so say what to remove.
      console.warn(`memory group ${this.dir} not removed (${(err as Error).message}): rmdir it`);
    }
  }
}

/**
 * How to start `node` with `argv` for `service`: as it is, or, with BENCH_CONTAINER_MEMORY=1, in a
 * new memory group `group` with the service's compose limit (the caller reports and removes it).
 */
export function serviceLaunch(
  group: string,
  service: string,
  argv: string[],
): { command: string; args: string[]; memory?: MemoryGroup } {
  if (!containerMemoryWanted()) return { command: process.execPath, args: argv };
  const memory = new MemoryGroup(group, composeMemoryLimit(service));
  return { ...memory.wrap(process.execPath, argv), memory };
}
