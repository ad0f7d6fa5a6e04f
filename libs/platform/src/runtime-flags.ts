import { setFlagsFromString } from 'node:v8';
import { RuntimeConfig } from './config';

/**
 * A young generation of 64 MB semispaces instead of V8's 16 MB: ingest and the processors allocate
 * per event and keep a fetched batch alive across a commit, so fewer scavenges copy less
 * (BENCHMARKS.md: ingest +17 % events/s; the processors 7–10 % less CPU per event, 2026-12-04).
 * V8 sizes the young generation when it creates the heap, so it cannot be set at boot: launchers
 * pass a service's `nodeOptions` (compose and Kubernetes as NODE_OPTIONS, the npm start scripts, the
 * demo and the benchmarks through tools/shared/service-launch.ts). Costs about 100 MB of RSS.
 */
export const LARGE_YOUNG_GENERATION = '--max-semi-space-size=64';

/**
 * Applies the runtime config before the service allocates its state: V8's old-generation growth
 * factor becomes 1 + heapGrowthPercent / 100 (V8 reads it at every full collection, so setting it
 * at boot is enough; a `node --heap-growing-percent` flag in every launcher would be the same).
 * Returns the flags set, for the boot log.
 */
export function applyRuntimeConfig(
  cfg: RuntimeConfig,
  setFlags: (flags: string) => void = setFlagsFromString,
): string[] {
  const flags =
    cfg.heapGrowthPercent > 0 ? [`--heap-growing-percent=${cfg.heapGrowthPercent}`] : [];
  for (const flag of flags) setFlags(flag);
  return flags;
}
