/**
 * A service's old generation as its /metrics shows it (prom-client's default
 * `nodejs_heap_space_size_*_bytes{space="old"}`): what V8 has committed, and what live and
 * not-yet-collected objects use of it. A soak reads them beside RSS, because V8 commits old-space
 * pages only as promoted objects fill them, up to a limit of the live size × its growing factor
 * plus the young generation (BENCHMARKS.md, "Where a soak's RSS goes").
 */
export interface OldGeneration {
  committed: number;
  used: number;
  /** Full (mark-compact) collections so far: a sample after one shows about the live size. */
  majorGcs: number;
}

const OLD_SPACE =
  /^nodejs_heap_space_size_(total|used)_bytes\{[^}]*space="old"[^}]*\} (\d+(?:\.\d+)?)$/gm;
const MAJOR_GCS = /^nodejs_gc_duration_seconds_count\{[^}]*kind="major"[^}]*\} (\d+)$/m;

/** Parses a Prometheus text exposition; undefined when it has no old-space figures. */
export function parseOldGeneration(text: string): OldGeneration | undefined {
  const found: Partial<Record<'total' | 'used', number>> = {};
  for (const [, kind, value] of text.matchAll(OLD_SPACE))
    found[kind as 'total' | 'used'] = Number(value);
  if (found.total === undefined || found.used === undefined) return undefined;
  const majorGcs = Number(MAJOR_GCS.exec(text)?.[1] ?? 0);
  return { committed: found.total, used: found.used, majorGcs };
}

/** The service's old generation now; undefined when /metrics does not answer within 2 s. */
export async function oldGeneration(serviceUrl: string): Promise<OldGeneration | undefined> {
  try {
    const res = await fetch(`${serviceUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? parseOldGeneration(await res.text()) : undefined;
  } catch {
    return undefined; // a missed sample: the soak's figures skip it
  }
}

/**
 * How fast objects reach the old generation, in bytes per second: between full collections its
 * used size grows only by what scavenges promote (and what is allocated there directly), so this
 * sums that growth over consecutive samples with no full collection between them. The old
 * generation's sawtooth and its full collections follow from this rate (BENCHMARKS.md, "What each
 * service promotes").
 */
export function promotionRate(
  points: ReadonlyArray<{ t: number; old: OldGeneration | undefined }>,
): number | undefined {
  let grown = 0;
  let ms = 0;
  for (let i = 1; i < points.length; i++) {
    const before = points[i - 1].old;
    const now = points[i].old;
    // A full collection between them, sweeping still freeing after one, or a missed sample: that
    // interval says nothing about promotion.
    if (!before || !now || now.majorGcs !== before.majorGcs || now.used < before.used) continue;
    grown += now.used - before.used;
    ms += points[i].t - points[i - 1].t;
  }
  return ms > 0 ? (grown / ms) * 1000 : undefined;
}
