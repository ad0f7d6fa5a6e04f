import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MetricsService } from '@clickstream/platform';
import { ALERT_SEVERITY } from '../alerts/alert-rules';
import { Funnel, funnelOf } from '../funnel/funnel';
import { FunnelRepository } from '../funnel/funnel.repository';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { overviewRanges } from '../overview/overview-ranges';
import { AlertCount, OverviewFigures, OverviewRepository } from '../overview/overview.repository';
import { ratio } from '../query/sql';
import { gaugeRefresher, Refresher } from './refresher';

interface KpiSnapshot {
  figures: OverviewFigures;
  alerts: AlertCount[];
  funnel: Funnel;
}

/**
 * SPEC §8 KPIs as Prometheus gauges, with the meaning of /v1/overview (see overview-ranges.ts). They
 * are read on scrape, at most once per METRICS_GAUGE_REFRESH_MS, with index range queries only.
 * No label ever holds a user id.
 */
@Injectable()
export class BusinessMetrics implements OnModuleInit {
  private readonly logger = new Logger(BusinessMetrics.name);
  private readonly snapshot: Refresher<KpiSnapshot>;

  constructor(
    private readonly metrics: MetricsService,
    private readonly overview: OverviewRepository,
    private readonly funnel: FunnelRepository,
    @Inject(metricsConfig.KEY) config: MetricsConfig,
  ) {
    this.snapshot = gaugeRefresher({
      metrics,
      logger: this.logger,
      source: 'postgres',
      message: 'business gauges not refreshed',
      load: () => this.load(),
      ttlMs: config.gaugeRefreshMs,
    });
  }

  onModuleInit(): void {
    const m = this.metrics;
    const snap = () => this.snapshot.get();
    m.gauge({
      name: 'clickstream_active_sessions',
      help: 'Open sessions.',
      collect: setFrom(snap, (s) => s.figures.activeSessions),
    });
    m.gauge({
      name: 'clickstream_events_per_minute',
      help: 'Events in the last complete UTC minute (1 min `all` window, event time).',
      collect: setFrom(snap, (s) => s.figures.eventsLastMinute),
    });
    m.gauge({
      name: 'clickstream_unique_users_5m',
      help: 'Unique users in the last complete 5 min window.',
      collect: setFrom(snap, (s) => s.figures.uniqueUsers5m),
    });
    m.gauge({
      name: 'clickstream_revenue_last_hour',
      help: 'Revenue (currency units) of the 60 complete minutes before now.',
      collect: setFrom(snap, (s) => s.figures.revenueLastHour),
    });
    m.gauge({
      name: 'clickstream_conversion_rate_last_hour',
      help: 'Purchases / views of the 60 complete minutes before now (0 without views).',
      collect: setFrom(snap, (s) => ratio(s.figures.purchasesLastHour, s.figures.viewsLastHour)),
    });
    m.gauge({
      name: 'clickstream_alerts_last_hour',
      help: 'Alerts detected in the last hour, by rule and severity.',
      labelNames: ['rule', 'severity'],
      async collect() {
        const s = await snap();
        if (!s) return;
        this.reset();
        // Every rule is present, at 0 when quiet, so alerting on it needs no absent() juggling.
        for (const [rule, severity] of Object.entries(ALERT_SEVERITY))
          this.set({ rule, severity }, 0);
        for (const a of s.alerts) this.set({ rule: a.rule, severity: a.severity }, a.count);
      },
    });
    m.gauge({
      name: 'clickstream_funnel_sessions',
      help: 'Sessions started in the last hour that reached each funnel stage (stage none: all of them).',
      labelNames: ['stage'],
      async collect() {
        const s = await snap();
        if (!s) return;
        this.set({ stage: 'none' }, s.funnel.sessions);
        for (const step of s.funnel.stages) this.set({ stage: step.stage }, step.sessions);
      },
    });
  }

  private async load(): Promise<KpiSnapshot> {
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

/** A collect() that sets an unlabelled gauge from the snapshot (unchanged when none could be loaded). */
function setFrom(snap: () => Promise<KpiSnapshot | undefined>, pick: (s: KpiSnapshot) => number) {
  return async function (this: { set(value: number): void }) {
    const s = await snap();
    if (s) this.set(pick(s));
  };
}
