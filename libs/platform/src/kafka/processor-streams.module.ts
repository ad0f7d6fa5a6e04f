import { DynamicModule, FactoryProvider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import {
  StreamsAppOptions,
  StreamsError,
  StreamsLogger,
  StreamsModule,
} from '@clickstream/streams';
import { streamsConfig, StreamsConfig } from '../config';
import { pgPoolOf } from '../database/pg-pool';
import { FatalShutdown } from '../lifecycle/fatal-shutdown';
import { MetricsService } from '../metrics';
import { KafkaClient } from './kafka.client';

/** What every processor's topology factory gets from the service. */
export interface ProcessorServices {
  kafka: KafkaClient;
  pool: Pool;
  metrics: MetricsService;
  streams: StreamsConfig;
  logger: PinoLogger;
}

/**
 * A processor's StreamsModule: the service's Kafka client, Postgres pool, metrics, streams config
 * and logger are injected once here, plus the processor's own tokens (`inject`), whose values
 * follow in `build`'s arguments. A processor that stops for good (StreamsAppOptions.onFatal) ends
 * the service through FatalShutdown, after the processor's own onFatal, if it set one.
 */
export function processorStreamsModule(options: {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  build: (services: ProcessorServices, ...extra: never[]) => StreamsAppOptions;
}): DynamicModule {
  return StreamsModule.forRootAsync({
    imports: options.imports,
    inject: [
      KafkaClient,
      getDataSourceToken(),
      MetricsService,
      streamsConfig.KEY,
      PinoLogger,
      FatalShutdown,
      ...(options.inject ?? []),
    ],
    useFactory: (
      kafka: KafkaClient,
      dataSource: DataSource,
      metrics: MetricsService,
      streams: StreamsConfig,
      logger: PinoLogger,
      fatal: FatalShutdown,
      ...extra: never[]
    ) => {
      const own = options.build(
        { kafka, pool: pgPoolOf(dataSource), metrics, streams, logger },
        ...extra,
      );
      // A processor stopped for good (its group instance id taken) ends the service.
      return { ...own, onFatal: thenEndService(own.onFatal, fatal, logger) };
    },
  });
}

/**
 * The processor's own onFatal, then the service's end. The end comes whatever the processor's hook
 * does: a hook that throws is logged, not allowed to keep a stopped processor's service running.
 */
export function thenEndService(
  own: StreamsAppOptions['onFatal'],
  fatal: Pick<FatalShutdown, 'trigger'>,
  logger: Pick<StreamsLogger, 'error'>,
): (error: StreamsError) => void {
  return (error) => {
    try {
      own?.(error);
    } catch (hookError) {
      logger.error({ err: hookError, fatal: error.message }, 'processor fatal hook failed');
    }
    fatal.trigger(error);
  };
}
