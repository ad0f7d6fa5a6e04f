import { Module } from '@nestjs/common';
import { API_KEYS, ApiKeyGuard } from '@clickstream/platform';
import { AlertsHttpController } from '../alerts/alerts.http.controller';
import { AlertsRepository } from '../alerts/alerts.repository';
import { pgPoolProvider } from '../database/pg-pool';
import { FunnelHttpController } from '../funnel/funnel.http.controller';
import { FunnelRepository } from '../funnel/funnel.repository';
import { BusinessMetrics } from '../kpis/business-metrics';
import { ConsumerLagMetrics } from '../lag/consumer-lag.metrics';
import { ConsumerLagReader } from '../lag/consumer-lag.reader';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { OverviewHttpController } from '../overview/overview.http.controller';
import { OverviewRepository } from '../overview/overview.repository';
import { TopProductsHttpController } from '../products/top-products.http.controller';
import { TopProductsRepository } from '../products/top-products.repository';
import { AdminKeyGuard } from '../rules/admin-key.guard';
import { RulesPublisher } from '../rules/rules-publisher';
import { RulesHttpController } from '../rules/rules.http.controller';
import { RulesRepository } from '../rules/rules.repository';
import { SessionsHttpController } from '../sessions/sessions.http.controller';
import { SessionsRepository } from '../sessions/sessions.repository';
import { WindowsHttpController } from '../windows/windows.http.controller';
import { WindowsRepository } from '../windows/windows.repository';

/** SPEC §8: the query API over the processors' Postgres tables, the KPI gauges, consumer lag, and the fraud rules at runtime (issue 14). */
@Module({
  controllers: [
    SessionsHttpController,
    WindowsHttpController,
    TopProductsHttpController,
    FunnelHttpController,
    AlertsHttpController,
    OverviewHttpController,
    RulesHttpController,
  ],
  providers: [
    pgPoolProvider,
    ApiKeyGuard,
    { provide: API_KEYS, inject: [metricsConfig.KEY], useFactory: (c: MetricsConfig) => c.apiKeys },
    SessionsRepository,
    WindowsRepository,
    TopProductsRepository,
    FunnelRepository,
    AlertsRepository,
    OverviewRepository,
    BusinessMetrics,
    ConsumerLagReader,
    ConsumerLagMetrics,
    AdminKeyGuard,
    RulesRepository,
    RulesPublisher,
  ],
})
export class QueryModule {}
