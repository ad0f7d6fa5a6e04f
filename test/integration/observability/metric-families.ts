import { metricNamesIn } from '../../../deploy/prometheus/rule-checks';

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

/**
 * The metric names a PromQL expression selects: deploy/prometheus's lexer, the one the alert rules
 * are checked with (a `__name__=~` alternation expanded to its names).
 */
export const namesIn = (expr: string): Set<string> => new Set(metricNamesIn(expr));

/** Whether any of the expressions selects one of the family's series. */
export function selects(exprs: Set<string>[], family: string, type: string): boolean {
  const series = seriesNames(family, type);
  return exprs.some((names) => series.some((s) => names.has(s)));
}
