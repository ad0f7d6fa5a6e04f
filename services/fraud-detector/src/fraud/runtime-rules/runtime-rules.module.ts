import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { KafkaClient, MetricsService, pgPoolOf } from '@clickstream/platform';
import { FraudConfig, fraudConfig } from '../../fraud.config';
import { RuntimeRules, startRuntimeRules } from './runtime-rules';

export const RUNTIME_RULES = Symbol('RUNTIME_RULES');

@Injectable()
class RuntimeRulesLifecycle implements OnApplicationShutdown {
  constructor(@Inject(RUNTIME_RULES) private readonly rules: RuntimeRules) {}

  onApplicationShutdown(): Promise<void> {
    return this.rules.stop();
  }
}

/**
 * The live fraud config (boot config + clickstream.rules.v1). Its provider resolves only once the
 * rules topic was read to its end, and the topology is built from it: no event is judged earlier.
 */
@Module({
  providers: [
    {
      provide: RUNTIME_RULES,
      inject: [KafkaClient, getDataSourceToken(), MetricsService, fraudConfig.KEY, PinoLogger],
      useFactory: (
        kafka: KafkaClient,
        dataSource: DataSource,
        metrics: MetricsService,
        boot: FraudConfig,
        logger: PinoLogger,
      ) => {
        logger.setContext('RuntimeRules');
        return startRuntimeRules({
          kafka,
          pool: pgPoolOf(dataSource),
          metrics,
          logger,
          boot,
          clientId: `${kafka.config.clientId}-fraud-detector-${process.pid}`,
        });
      },
    },
    RuntimeRulesLifecycle,
  ],
  exports: [RUNTIME_RULES],
})
export class RuntimeRulesModule {}
