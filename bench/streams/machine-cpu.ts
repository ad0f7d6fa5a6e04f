import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface MachineCpu {
  busy: number;
  steal: number;
  total: number;
}

/** Busy and total jiffies of the whole machine (Linux /proc/stat), to see whether it was saturated. */
export function machineCpu(): MachineCpu | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    const total = fields.slice(0, 8).reduce((sum, jiffies) => sum + (jiffies || 0), 0);
    const steal = fields[7] || 0;
    return { busy: total - fields[3] - (fields[4] || 0) - steal, steal, total };
  } catch {
    return null;
  }
}

/** "machine 1.6 of 2 cores busy, 0.1 stolen" between two machineCpu() readings. */
export function machineBusy(before: MachineCpu | null, after: MachineCpu | null): string {
  if (!before || !after || after.total === before.total) return 'machine CPU n/a';
  const cores = (jiffies: number) =>
    ((jiffies / (after.total - before.total)) * cpus().length).toFixed(1);
  return `machine ${cores(after.busy - before.busy)} of ${cpus().length} cores busy, ${cores(after.steal - before.steal)} stolen by the hypervisor`;
}
