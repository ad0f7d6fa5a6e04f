import { Inject, Injectable } from '@nestjs/common';
import { MetricsService } from '@clickstream/platform';
import { ALERT_SEVERITY } from '../alerts/alert-rules';
import { Funnel, funnelOf } from '../funnel/funnel';
import { FunnelRepository } from '../funnel/funnel.repository';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { overviewRanges } from '../overview/overview-ranges';
import { AlertCount, OverviewFigures, OverviewRepository } from '../overview/overview.repository';
import { ratio } from '../query/sql';
import { Sample, samplesFrom, SnapshotGauges, valueFrom } from './refresher';

interface KpiSnapshot {
  figures: OverviewFigures;
  alerts: AlertCount[];
  funnel: Funnel;
}

/** The unlabelled KPI gauges, by name: their help and their value in a snapshot. */
const FIGURE_GAUGES: Record<string, [help: string, value: (s: KpiSnapshot) => number]> = {
  clickstream_active_sessions: ['Open sessions.', (s) => s.figures.activeSessions],
  clickstream_events_per_minute: [
    'Events in the last complete UTC minute (1 min `all` window, event time).',
    (s) => s.figures.eventsLastMinute,
  ],
  clickstream_unique_users_5m: [
    'Unique users in the last complete 5 min window.',
    (s) => s.figures.uniqueUsers5m,
  ],
  clickstream_revenue_last_hour: [
    'Revenue (currency units) of the 60 complete minutes before now.',
    (s) => s.figures.revenueLastHour,
  ],
  clickstream_conversion_rate_last_hour: [
    'Purchases / views of the 60 complete minutes before now (0 without views).',
    (s) => ratio(s.figures.purchasesLastHour, s.figures.viewsLastHour),
  ],
};

/**
 * SPEC §8 KPIs as Prometheus gauges, with the meaning of /v1/overview (see overview-ranges.ts). They
 * are read on scrape, at most once per METRICS_GAUGE_REFRESH_MS, with index range queries only.
 * No label ever holds a user id.
 */
@Injectable()
export class BusinessMetrics extends SnapshotGauges<KpiSnapshot> {
  constructor(
    metrics: MetricsService,
    private readonly overview: OverviewRepository,
    private readonly funnel: FunnelRepository,
    @Inject(metricsConfig.KEY) config: MetricsConfig,
  ) {
    super(metrics, config, 'postgres', 'business gauges not refreshed');
  }

  onModuleInit(): void {
    for (const [name, [help, value]] of Object.entries(FIGURE_GAUGES))
      this.metrics.gauge({ name, help, collect: valueFrom(this.snapshot, value) });
    this.metrics.gauge({
      name: 'clickstream_alerts_last_hour',
      help: 'Alerts detected in the last hour, by rule and severity.',
      labelNames: ['rule', 'severity'],
      // Every rule is present, at 0 when quiet, so alerting on it needs no absent() juggling.
      collect: samplesFrom(this.snapshot, (s) => [
        ...Object.entries(ALERT_SEVERITY).map(([rule, severity]): Sample => [
          { rule, severity },
          0,
        ]),
        ...s.alerts.map((a): Sample => [{ rule: a.rule, severity: a.severity }, a.count]),
      ]),
    });
    this.metrics.gauge({
      name: 'clickstream_funnel_sessions',
      help: 'Sessions started in the last hour that reached each funnel stage (stage none: all of them).',
      labelNames: ['stage'],
      collect: samplesFrom(this.snapshot, (s) => [
        [{ stage: 'none' }, s.funnel.sessions],
        ...s.funnel.stages.map((step): Sample => [{ stage: step.stage }, step.sessions]),
      ]),
    });
  }

  protected async load(): Promise<KpiSnapshot> {
    const r = overviewRanges(new Date());
    const [figures, alerts, stages] = await Promise.all([
      this.overview.figures(r),
      this.overview.alertsByRule(r),
      // Sessions started in [now − 1 h, now): the same wall-clock hour as the alerts.
      this.funnel.stageCounts(r.alerts.from, r.alerts.to),
    ]);
    return { figures, alerts, funnel: funnelOf(stages) };
  }
}
