/** One partition's committed watermark, as the runtime stores it. */
export interface PartitionProgress {
  partition: number;
  /** null: the partition never had input (empty). */
  watermark: number | null;
  /** Wall-clock ms of its last input. */
  lastInputAt: number;
}

/**
 * The watermark of results that span partitions (SPEC §4): the minimum over partitions that are
 * not idle; an idle or empty partition never holds it back. When every partition with input is
 * idle, each one's watermark has advanced with the wall clock since it became idle, and the global
 * watermark is the minimum of those, so quiet streams still close. null: no partition had input.
 */
export function globalWatermark(partitions: PartitionProgress[], now: number, idleTimeoutMs: number): number | null {
  const withInput = partitions.filter((p) => p.watermark !== null);
  if (withInput.length === 0) return null;
  const active = withInput.filter((p) => now - p.lastInputAt < idleTimeoutMs);
  if (active.length > 0) return Math.min(...active.map((p) => p.watermark!));
  return Math.min(...withInput.map((p) => p.watermark! + Math.max(0, now - p.lastInputAt - idleTimeoutMs)));
}
