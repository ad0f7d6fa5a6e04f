/**
 * CPU seconds of what else shares the box with the services: every Postgres process, the Kafka
 * broker, this load generator, and the whole machine (busy time of all cores), from Linux /proc.
 * Postgres backends come and go with the pools' connections: the postmaster's reaped-children time
 * (cutime, cstime) counts the ones that exited, and the live ones are summed.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface BoxCpu {
  postgres: number;
  broker: number;
  generator: number;
  /** Busy seconds of all cores together (user, nice, system, irq, softirq, steal). */
  machine: number;
}

/** /proc/PID/stat after the command: [state, ppid, …, utime (11), stime, cutime, cstime]. */
const statFields = (pid: string) =>
  readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
const ownTicks = (fields: string[]) => Number(fields[11]) + Number(fields[12]);
const reapedChildTicks = (fields: string[]) => Number(fields[13]) + Number(fields[14]);

function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, , , irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

export function boxCpu(): BoxCpu {
  const postgres = new Map<string, string[]>();
  let broker = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm === 'postgres') postgres.set(pid, statFields(pid));
      else if (
        comm === 'java' &&
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka')
      )
        broker += ownTicks(statFields(pid));
    } catch {
      // the process exited between the listing and the read
    }
  }
  let postgresTicks = 0;
  for (const fields of postgres.values()) {
    postgresTicks += ownTicks(fields);
    if (!postgres.has(fields[1])) postgresTicks += reapedChildTicks(fields); // the postmaster
  }
  const self = process.cpuUsage();
  return {
    postgres: postgresTicks / TICKS_PER_SECOND,
    broker: broker / TICKS_PER_SECOND,
    generator: (self.user + self.system) / 1e6,
    machine: machineBusySeconds(),
  };
}
