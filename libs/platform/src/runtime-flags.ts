import { setFlagsFromString } from 'node:v8';
import { RuntimeConfig } from './config';

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
