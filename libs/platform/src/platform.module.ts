import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ConfigDefinition,
  databaseConfig,
  httpConfig,
  kafkaConfig,
  loggingConfig,
  runtimeConfig,
} from './config';
import { databaseModule } from './database/database.module';
import { HealthController } from './health/health.controller';
import { FatalShutdown } from './lifecycle/fatal-shutdown';
import { KafkaClient, TopicsBootstrap } from './kafka';
import { loggingModule } from './logging/logging.module';
import { MetricsController, MetricsService } from './metrics';
import { SERVICE_INFO, ServiceInfo } from './service-info';

export interface PlatformOptions extends ServiceInfo {
  /** The service's own feature configs, validated at boot with the platform's. */
  configs?: ConfigDefinition[];
  /**
   * Whether the service uses Postgres (default true). Without it no TypeORM connection is made and
   * readiness checks Kafka alone: ingest must keep taking events while the database is down.
   */
  database?: boolean;
}

/** The configs every service loads; the compose test checks env values against these. */
export function platformConfigs(defaultPort: number): ConfigDefinition[] {
  return [kafkaConfig, databaseConfig, loggingConfig, runtimeConfig, httpConfig(defaultPort)];
}

/**
 * Shared plumbing of every service: validated config, pino logging, terminus health, Prometheus
 * metrics, the Kafka client and (unless `database: false`) the TypeORM connection.
 */
@Module({})
export class PlatformModule {
  static forService(options: PlatformOptions): DynamicModule {
    const service: ServiceInfo = { name: options.name, defaultPort: options.defaultPort };
    const database = options.database === false ? [] : [databaseModule()];
    return {
      module: PlatformModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [...platformConfigs(service.defaultPort), ...(options.configs ?? [])],
        }),
        loggingModule(service),
        TerminusModule.forRoot({ logger: false }),
        ...database,
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_INFO, useValue: service },
        MetricsService,
        KafkaClient,
        TopicsBootstrap,
        FatalShutdown,
      ],
      exports: [
        SERVICE_INFO,
        MetricsService,
        KafkaClient,
        FatalShutdown,
        ...database.map(() => TypeOrmModule),
      ],
    };
  }
}
