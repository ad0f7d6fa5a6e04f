/** One partition's committed watermark, as the runtime stores it. */
export interface PartitionProgress {
  partition: number;
  /** null: the partition never had input (empty). */
  watermark: number | null;
  /** Wall-clock ms up to which idle time is already included in `watermark` (set by idle ticks). */
  idleAdvancedTo?: number | null;
}

/**
 * The watermark of results that span partitions (SPEC §4): the minimum over partitions that are
 * not idle; an idle or empty partition never holds it back. When every partition with input is
 * idle, each one's watermark has advanced with the wall clock since it became idle, and the global
 * watermark is the minimum of those, so quiet streams still close. null: no partition had input.
 *
 * Idleness is the owner's word, not the reader's guess: a partition with input is idle only while
 * its owner keeps committing idle ticks (the last one less than `idleTimeoutMs` ago). A partition
 * whose owner stopped committing (commits failing on a lock or a restart, a crash, a rebuild in
 * backoff) looks just as quiet from here, but it may hold records it has not committed yet: it
 * keeps its last committed watermark in the minimum, so nothing is finalised past them.
 *
 * `partitionCount`, when given, makes the result safe to finalise on: a partition nobody has
 * claimed yet, or an empty one (no input committed) that its owner has not lately declared idle
 * (just claimed, or its commits failing), may still hold records of any time, so the answer is
 * null (wait) rather than a watermark it could contradict.
 */
export function globalWatermark(
  partitions: PartitionProgress[],
  now: number,
  idleTimeoutMs: number,
  partitionCount?: number,
): number | null {
  if (partitionCount !== undefined) {
    if (partitions.length < partitionCount) return null;
    if (partitions.some((p) => p.watermark === null && !declaredIdle(p, now, idleTimeoutMs)))
      return null;
  }
  const withInput = partitions.filter((p) => p.watermark !== null);
  if (withInput.length === 0) return null;
  const active = withInput.filter((p) => !declaredIdle(p, now, idleTimeoutMs));
  if (active.length > 0) return Math.min(...active.map((p) => p.watermark!));
  return Math.min(...withInput.map((p) => p.watermark! + (now - p.idleAdvancedTo!)));
}

/** The owner's last commit was an idle tick, recent enough that the owner is still ticking. */
function declaredIdle(p: PartitionProgress, now: number, idleTimeoutMs: number): boolean {
  return p.idleAdvancedTo != null && now - p.idleAdvancedTo < idleTimeoutMs;
}
