/** Metric families of a /metrics text: the `# TYPE` lines (a histogram once, by its base name). */
export function familiesOf(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1], m[2]);
  return families;
}

/** The series names a family writes: a histogram's _bucket, _sum and _count, a summary's _sum and _count. */
export function seriesNames(family: string, type: string): string[] {
  if (type === 'histogram') return [family, `${family}_bucket`, `${family}_sum`, `${family}_count`];
  if (type === 'summary') return [family, `${family}_sum`, `${family}_count`];
  return [family];
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

export interface ExprNames {
  /** Metric names written out, e.g. `ingest_events_total` in `rate(ingest_events_total{…}[…])`. */
  names: Set<string>;
  /** `__name__=~"…"` matchers, anchored as Prometheus anchors them. */
  patterns: RegExp[];
}

/** The metric names a PromQL expression selects (plain names and __name__ regex matchers). */
export function namesIn(expr: string): ExprNames {
  const patterns = [...expr.matchAll(/__name__\s*=~\s*"([^"]*)"/g)].map(
    (m) => new RegExp(`^(?:${m[1].replace(/\\\\/g, '\\')})$`),
  );
  const plain = [...expr.matchAll(/__name__\s*=\s*"([^"]*)"/g)].map((m) => m[1]);
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names = new Set(plain);
  for (const m of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1])) continue; // a function call or a keyword
    names.add(m[1]);
  }
  return { names, patterns };
}

/** Whether any of the expressions selects one of the family's series. */
export function selects(exprs: ExprNames[], family: string, type: string): boolean {
  const series = seriesNames(family, type);
  return exprs.some((e) => series.some((s) => e.names.has(s) || e.patterns.some((p) => p.test(s))));
}
