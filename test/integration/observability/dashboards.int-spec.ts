import {
  DashboardFile,
  evaluatePanel,
  interpolate,
  Interpolation,
  loadDashboards,
  panelKey,
  PanelResult,
  resolveVariables,
} from './dashboard-queries';
import { familiesOf, namesIn, selects } from './metric-families';
import {
  lateEvents,
  retriedEvents,
  lockSessionsUntil,
  METRICS_REPLICA,
  ObservabilityStack,
  overBacklog,
  postEvents,
  producePoison,
  replayTraffic,
  SERVICES,
  startStack,
} from './observability-stack';
import { startPrometheus } from '../../support/prometheus';
import { waitFor } from '../../support/wait-for';

/**
 * Issue 13, item 4: every dashboard under deploy/grafana/dashboards proven on a real Prometheus
 * (Debian's 2.42 server) scraping the five real services during a replay with fraud. Every target
 * of every panel, its template variables substituted as Grafana's "All" does, must parse and every
 * panel must return data; the panels below only do when something fails, so the test makes each
 * failure happen and then requires their data. Every exported metric family is on a panel or below.
 */

/** Panels that are empty while nothing fails (README: "non-empty only on failure"), and the failure that fills each. */
export const FAILURE_ONLY: Record<string, string> = {
  [panelKey('clickstream-pipeline', 'Late events / s by processor')]:
    'events 30 min older than the watermarks, through ingest',
  [panelKey('clickstream-pipeline', 'Duplicate events / s by processor')]:
    'a request sent twice, as a client whose 202 got lost',
  [panelKey('clickstream-pipeline', 'Dead-lettered records / s by processor')]:
    'an undecodable record and one Postgres refuses, on the events topic',
  [panelKey('clickstream-pipeline', 'Task failures and restarts in the time range')]:
    'the record Postgres refuses fails the commit; the task is rebuilt',
  [panelKey('clickstream-ingest', 'Unavailable (503, 504) and commits in doubt / s')]:
    'a request with more events than the producer backlog holds',
  [panelKey('clickstream-ingest', 'Client errors (4xx) / s')]:
    'a request whose every event is invalid (400)',
  [panelKey('clickstream-overview', 'Gauge refresh failures / s')]:
    'an exclusive lock on sessions outlasts the metrics service lock timeout',
};

/** Exported families on no panel, each with the reason. */
export const IGNORED_FAMILIES: Record<string, string> = {
  process_cpu_user_seconds_total:
    'user part of process_cpu_seconds_total, which the CPU panels show',
  process_cpu_system_seconds_total:
    'system part of process_cpu_seconds_total, which the CPU panels show',
  process_virtual_memory_bytes:
    'V8 reserves address space it never touches; RSS and heap panels show memory use',
  process_heap_bytes:
    'the data segment from /proc; the V8 heap panels show what the code allocates',
  nodejs_eventloop_lag_seconds:
    'one sampled delay per scrape; the p50/p99/max panel shows the measured distribution',
  nodejs_eventloop_lag_min_seconds: 'the event-loop panel shows p50, p99 and max',
  nodejs_eventloop_lag_mean_seconds: 'the event-loop panel shows p50, p99 and max',
  nodejs_eventloop_lag_stddev_seconds: 'the event-loop panel shows p50, p99 and max',
  nodejs_eventloop_lag_p90_seconds: 'the event-loop panel shows p50, p99 and max',
  nodejs_active_handles:
    'by handle type, for ad-hoc debugging; the runtime dashboard shows the total',
  nodejs_active_requests:
    'by request type, for ad-hoc debugging; the runtime dashboard shows the total',
  nodejs_active_resources:
    'by resource type, for ad-hoc debugging; the runtime dashboard shows the total',
  nodejs_heap_space_size_total_bytes:
    'per V8 space; the heap panel shows the heap total and old space used',
  nodejs_heap_space_size_available_bytes:
    'per V8 space; the heap panel shows the heap total and old space used',
  ...Object.fromEntries(
    ['sessionizer', 'aggregator', 'fraud_detector'].flatMap((p) => [
      [
        `${p}_offset_hint_failures_total`,
        'the Kafka group offset is only a hint for lag tools (the truth is in Postgres); a refused one is logged, and the next carries a later offset',
      ],
      [
        `${p}_instance_fenced_total`,
        'counted just before the service exits 1 (FatalShutdown), so a scrape rarely sees it: the exit shows as the target down, which the availability rules alert on, and the last lines ("group instance fenced", "service stopping after a fatal error") say why',
      ],
      [
        `${p}_dedupe_lookups_spared_total`,
        'the dedupe filter is off by default (STREAMS_DEDUPE_FILTER_MAX_BYTES), so a panel would stay empty; where it is set, this shows what it saves, for tuning',
      ],
      [
        `${p}_dedupe_filter_loads_total`,
        'off by default; a failed load is logged ("dedupe filter load failed") and retried with backoff while the task looks every id up: slower, never wrong',
      ],
      [
        `${p}_dedupe_filter_saturated_total`,
        'off by default; a filter over its limit is logged once ("dedupe filter saturated") and its task looks every id up, as with no filter',
      ],
    ]),
  ),
};

/** Series Prometheus itself writes for every target. */
const SYNTHETIC = new Set(['up']);

const allPanels = (ds: DashboardFile[]) =>
  ds.flatMap((d) => d.panels.map((p) => ({ d, p, key: panelKey(d.uid, p.title) })));

describe('Grafana dashboards on a real Prometheus scraping the five services', () => {
  let stack: ObservabilityStack;
  const dashboards = loadDashboards();
  const vars = new Map<string, Record<string, string>>();

  const interpolation = (d: DashboardFile, from: Date): Interpolation => ({
    vars: { ...vars.get(d.uid)! },
    rateInterval: '15s',
    interval: '5s',
    rangeSeconds: (Date.now() - from.getTime()) / 1000,
  });
  /** Evaluates the panels until each has data or the time is up; a query error ends it at once. */
  const untilData = async (
    panels: ReturnType<typeof allPanels>,
    from: Date,
    timeoutMs: number,
  ): Promise<PanelResult[]> => {
    let pending = panels;
    const done: PanelResult[] = [];
    let last: PanelResult[] = [];
    await waitFor(
      async () => {
        last = await Promise.all(
          pending.map(({ d, p }) =>
            evaluatePanel(stack.prometheus, d, p, interpolation(d, from), from, new Date()),
          ),
        );
        if (last.some((r) => r.errors.length > 0)) return true;
        done.push(...last.filter((r) => r.series > 0));
        pending = pending.filter((_, i) => last[i].series === 0);
        last = last.filter((r) => r.series === 0);
        return pending.length === 0;
      },
      { timeoutMs, intervalMs: 1000, what: 'every panel with data' },
    ).catch(() => undefined); // the caller's assertion names the panels still empty
    return [...done, ...last];
  };
  const report = (results: PanelResult[]) => {
    const errors = results.flatMap((r) =>
      r.errors.map((e) => `${panelKey(r.dashboard, r.panel)}: ${e}`),
    );
    // After a query error the others were not waited for: their emptiness would say nothing.
    const empty =
      errors.length > 0
        ? []
        : results.filter((r) => r.series === 0).map((r) => panelKey(r.dashboard, r.panel));
    return { errors, empty };
  };

  beforeAll(async () => {
    stack = await startStack();
    await replayTraffic(stack);
    const base = { rateInterval: '15s', interval: '5s', rangeSeconds: 3600 };
    for (const d of dashboards) vars.set(d.uid, await resolveVariables(stack.prometheus, d, base));
  }, 120_000);

  afterAll(async () => {
    await stack?.cleanup();
  });

  it('names the missing package when the Prometheus server is not installed', async () => {
    await expect(startPrometheus([], { bin: '/nonexistent/prometheus' })).rejects.toThrow(
      /not found at \/nonexistent\/prometheus: install Debian's "prometheus" package/,
    );
  });

  it('has the five dashboards, and the failure-only list names real panels', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      'clickstream-fraud',
      'clickstream-ingest',
      'clickstream-overview',
      'clickstream-pipeline',
      'clickstream-runtime',
    ]);
    const keys = new Set(allPanels(dashboards).map((x) => x.key));
    expect(Object.keys(FAILURE_ONLY).filter((k) => !keys.has(k))).toEqual([]);
  });

  it('every target parses, and every panel returns data except the failure-only ones, which stay empty', async () => {
    const panels = allPanels(dashboards);
    const normal = panels.filter((x) => !(x.key in FAILURE_ONLY));
    const results = await untilData(normal, stack.startedAt, 45_000);
    expect(report(results)).toEqual({ errors: [], empty: [] });
    const quiet = await Promise.all(
      panels
        .filter((x) => x.key in FAILURE_ONLY)
        .map(({ d, p }) =>
          evaluatePanel(
            stack.prometheus,
            d,
            p,
            interpolation(d, stack.startedAt),
            stack.startedAt,
            new Date(),
          ),
        ),
    );
    expect(quiet.flatMap((r) => r.errors)).toEqual([]);
    expect(quiet.filter((r) => r.series > 0).map((r) => panelKey(r.dashboard, r.panel))).toEqual(
      [],
    );
  }, 90_000);

  it('the failure-only panels return data once their failure happens', async () => {
    const from = new Date();
    await producePoison(stack);
    expect(await postEvents(stack, lateEvents())).toBe(202);
    const retried = retriedEvents();
    expect(await postEvents(stack, retried)).toBe(202);
    expect(await postEvents(stack, retried)).toBe(202);
    expect(await postEvents(stack, overBacklog())).toBe(503);
    expect(await postEvents(stack, [{}])).toBe(400);
    const metrics = stack.services.get('metrics')!;
    await lockSessionsUntil(stack, async () =>
      /^metrics_gauge_refresh_failures_total\{/m.test(
        await (await fetch(metrics.url('/metrics'))).text(),
      ),
    );
    const failing = allPanels(dashboards).filter((x) => x.key in FAILURE_ONLY);
    const results = await untilData(failing, from, 45_000);
    expect(report(results)).toEqual({ errors: [], empty: [] });
  }, 90_000);

  it('every metric family the services export is on a panel or on the documented ignore list', async () => {
    const exprs = dashboards.flatMap((d) =>
      d.panels.flatMap((p) => (p.targets ?? []).map((t) => namesIn(t.expr))),
    );
    const families = new Map<string, string>();
    for (const name of SERVICES) {
      const text = await (await fetch(stack.services.get(name)!.url('/metrics'))).text();
      for (const [family, type] of familiesOf(text)) families.set(family, type);
    }
    expect(families.size).toBeGreaterThan(40);
    const uncharted = [...families]
      .filter(([f, type]) => !selects(exprs, f, type) && !(f in IGNORED_FAMILIES))
      .map(([f]) => f);
    expect({ uncharted }).toEqual({ uncharted: [] });
    // The ignore list holds only exported families that really are on no panel.
    const stale = Object.keys(IGNORED_FAMILIES).filter(
      (f) => !families.has(f) || selects(exprs, f, families.get(f)!),
    );
    expect({ stale }).toEqual({ stale: [] });
    // And every name a panel selects is exported (or written by Prometheus): no typo hides behind an empty panel.
    const exported = new Set(
      [...families].flatMap(([f, type]) =>
        type === 'histogram' ? [f, `${f}_bucket`, `${f}_sum`, `${f}_count`] : [f],
      ),
    );
    const unknown = [...new Set(exprs.flatMap((names) => [...names]))].filter(
      (n) => !exported.has(n) && !SYNTHETIC.has(n),
    );
    expect({ unknown }).toEqual({ unknown: [] });
  });

  it('counts lag once per partition with two metrics replicas: the lag panels take the max, not the sum', async () => {
    const group = `${stack.prefix}clickstream-aggregator`;
    await stack.services.get('aggregator')!.stop('SIGKILL');
    const now = new Date().toISOString();
    expect(
      await postEvents(
        stack,
        Array.from({ length: 300 }, (_, i) => ({
          event_time: now,
          event_type: 'page_view',
          user_id: `lag-${i}`,
        })),
      ),
    ).toBe(202);
    // Each replica's own figure: the group's lag summed over partitions, from its /metrics.
    const lagOf = async (key: string) => {
      const text = await (await fetch(stack.services.get(key)!.url('/metrics'))).text();
      const lines = text
        .split('\n')
        .filter((l) => l.startsWith('kafka_consumergroup_lag{') && l.includes(`group="${group}"`));
      return lines.reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    let lag = 0;
    await waitFor(
      async () => {
        const [a, b] = await Promise.all([lagOf('metrics'), lagOf(METRICS_REPLICA)]);
        lag = a;
        return a >= 300 && a === b;
      },
      { timeoutMs: 30_000, what: 'both metrics replicas export the stopped aggregator lag' },
    );
    const overview = dashboards.find((d) => d.uid === 'clickstream-overview')!;
    const panel = overview.panels.find((p) => p.title === 'Consumer lag by group')!;
    const expr = interpolate(panel.targets![0].expr, interpolation(overview, stack.startedAt));
    const byGroup = async (e: string) =>
      Number((await stack.prometheus.query(e)).find((s) => s.metric.group === group)?.value?.[1]);
    // Until Prometheus holds that figure from both replicas.
    const perReplica = `min by (group) (sum by (group, instance) (kafka_consumergroup_lag{group="${group}"}))`;
    await waitFor(async () => (await byGroup(perReplica)) === lag, {
      timeoutMs: 20_000,
      what: `both replicas scraped at lag ${lag}`,
    });
    expect(await byGroup(expr)).toBe(lag);
    // The old panel's sum counts every partition once per replica.
    expect(await byGroup(`sum by (group) (kafka_consumergroup_lag{group="${group}"})`)).toBe(
      2 * lag,
    );
  });
});
