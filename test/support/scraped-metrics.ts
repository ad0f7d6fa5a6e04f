/**
 * A service's own /metrics page, read as a test reads it: the sum of one metric's samples, over the
 * label sets that contain `labels` (e.g. `processor="x"`); undefined when the page has none.
 */
export async function scrapedSum(
  metricsUrl: string,
  name: string,
  labels = '',
): Promise<number | undefined> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
  return sumSamples(await res.text(), name, labels);
}

/** The same over Prometheus' text format already fetched. */
export function sumSamples(text: string, name: string, labels = ''): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // Another metric whose name starts with this one (`x_total` against `x_total_seconds`).
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels && !rest.includes(labels)) continue;
    total = (total ?? 0) + Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return total;
}
