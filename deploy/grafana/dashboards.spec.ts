/**
 * Static checks of the provisioned Grafana dashboards: they are what the builders generate, and
 * every panel queries the datasource variable, sits on the grid, filters by the template variables,
 * and avoids the old defects (process metrics summed with Prometheus's own series, lag summed over
 * metrics replicas). test/integration/observability runs every query on a real Prometheus.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allDashboards, dashboardJson } from './builder/all-dashboards';

const DIR = join(__dirname, 'dashboards');

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  title?: string;
  type?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h?: number; w?: number; x?: number; y?: number };
  targets?: Target[];
}
interface Json {
  uid?: string;
  title?: string;
  templating?: {
    list?: Array<{ name: string; type: string; query?: unknown; datasource?: { uid?: string } }>;
  };
  panels?: Panel[];
}

const DS = '${datasource}';
const FILTERS = ['$service', '$instance', '$group'];

/** Every selector of a process_* or nodejs_* metric, with its matchers. */
const runtimeSelectors = (expr: string) =>
  [...expr.matchAll(/\b((?:process|nodejs)_\w+)(\{[^}]*\})?/g)].map((m) => ({
    name: m[1],
    matchers: m[2] ?? '',
  }));

/** What is wrong with one dashboard; empty when nothing is. */
export function problemsOf(d: Json): string[] {
  const problems: string[] = [];
  const vars = new Map((d.templating?.list ?? []).map((v) => [v.name, v]));
  const ds = vars.get('datasource');
  if (ds?.type !== 'datasource' || ds.query !== 'prometheus')
    problems.push('no datasource variable of type prometheus');
  for (const name of ['service', 'instance'])
    if (vars.get(name)?.type !== 'query') problems.push(`no ${name} variable`);
  for (const v of vars.values())
    if (v.type === 'query' && v.datasource?.uid !== DS)
      problems.push(`variable ${v.name} does not query ${DS}`);
  const panels = d.panels ?? [];
  const titles = panels.map((p) => p.title);
  for (const t of new Set(titles.filter((t, i) => titles.indexOf(t) !== i)))
    problems.push(`title "${t}" is used twice`);
  const ids = panels.map((p) => p.id);
  if (new Set(ids).size !== ids.length) problems.push('panel ids repeat');
  for (const p of panels) {
    const at = `panel "${p.title}"`;
    if (!p.title) problems.push('a panel has no title');
    if (p.datasource?.type !== 'prometheus' || p.datasource.uid !== DS)
      problems.push(`${at}: datasource is not ${DS}`);
    const g = p.gridPos;
    if (
      !g ||
      ![g.h, g.w, g.x, g.y].every((n) => Number.isInteger(n)) ||
      g.x! + g.w! > 24 ||
      g.w! < 1 ||
      g.h! < 1
    )
      problems.push(`${at}: gridPos missing or off the grid`);
    if (!p.targets?.length) problems.push(`${at}: no targets`);
    for (const t of p.targets ?? []) {
      const expr = t.expr ?? '';
      const where = `${at} ${t.refId}`;
      if (t.datasource?.uid !== DS) problems.push(`${where}: datasource is not ${DS}`);
      if (!expr.trim()) problems.push(`${where}: empty expression`);
      if (!FILTERS.some((f) => expr.includes(f)))
        problems.push(`${where}: uses none of ${FILTERS.join(', ')}`);
      for (const used of expr.match(/\$(?!__)\w+/g) ?? [])
        if (!vars.has(used.slice(1))) problems.push(`${where}: ${used} is not a variable`);
      if (/sum\s+by\s*\(\s*service\s*\)/.test(expr)) problems.push(`${where}: sum by (service)`);
      for (const s of runtimeSelectors(expr))
        if (!s.matchers.includes('job=~"$service"'))
          problems.push(`${where}: ${s.name} without the job filter`);
      // Each metrics replica exports the same lag: take the max per partition before any sum.
      const lag = expr.split('kafka_consumergroup_lag{').length - 1;
      const maxed =
        expr.split('max by (group, topic, partition) (kafka_consumergroup_lag{').length - 1;
      if (lag !== maxed)
        problems.push(
          `${where}: kafka_consumergroup_lag not taken as max by (group, topic, partition)`,
        );
    }
  }
  return problems;
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const read = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Json;

describe('deploy/grafana/dashboards', () => {
  it('are exactly what the builders generate (npm run grafana:generate)', () => {
    const built = allDashboards();
    expect(files).toEqual(Object.keys(built).sort());
    for (const [file, dashboard] of Object.entries(built))
      expect({ file, json: readFileSync(join(DIR, file), 'utf8') }).toEqual({
        file,
        json: dashboardJson(dashboard),
      });
  });

  it('keeps the overview at clickstream-overview.json, and uids and titles are unique', () => {
    expect(read('clickstream-overview.json')).toMatchObject({
      uid: 'clickstream-overview',
      title: 'Clickstream overview',
    });
    const all = files.map(read);
    expect(new Set(all.map((d) => d.uid)).size).toBe(files.length);
    expect(new Set(all.map((d) => d.title)).size).toBe(files.length);
  });

  it.each(files)(
    '%s: every panel queries the datasource variable, sits on the grid and filters by the variables',
    (file) => {
      expect(problemsOf(read(file))).toEqual([]);
    },
  );

  it('has a group variable wherever a panel reads consumer-group metrics', () => {
    for (const d of files.map(read)) {
      const exprs = (d.panels ?? []).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
      const groupVar = d.templating?.list?.find((v) => v.name === 'group');
      if (exprs.some((e) => e.includes('kafka_consumergroup')))
        expect({ uid: d.uid, group: groupVar?.type }).toEqual({ uid: d.uid, group: 'query' });
    }
  });

  it('finds the old defects in a dashboard that has them', () => {
    const overview = read('clickstream-overview.json');
    const broken: Json = {
      ...overview,
      panels: [
        ...(overview.panels ?? []),
        {
          id: 99,
          title: 'Service up',
          type: 'timeseries',
          datasource: { type: 'prometheus', uid: 'prometheus' },
          targets: [
            {
              refId: 'A',
              datasource: { uid: DS },
              expr: 'sum by (service) (rate(process_cpu_seconds_total[1m]))',
            },
            {
              refId: 'B',
              datasource: { uid: DS },
              expr: 'sum by (group) (kafka_consumergroup_lag{group=~"$group"}) + $nope',
            },
          ],
        },
      ],
    };
    expect(problemsOf(broken)).toEqual([
      'title "Service up" is used twice',
      'panel "Service up": datasource is not ${datasource}',
      'panel "Service up": gridPos missing or off the grid',
      'panel "Service up" A: uses none of $service, $instance, $group',
      'panel "Service up" A: sum by (service)',
      'panel "Service up" A: process_cpu_seconds_total without the job filter',
      'panel "Service up" B: $nope is not a variable',
      'panel "Service up" B: kafka_consumergroup_lag not taken as max by (group, topic, partition)',
    ]);
  });

  it('are loaded by the file provider from the directory compose mounts them at', () => {
    const providers = parse(
      readFileSync(join(__dirname, 'provisioning/dashboards/dashboards.yml'), 'utf8'),
    ) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(providers.providers).toContainEqual(
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: '/etc/grafana/dashboards' }),
      }),
    );
  });
});
