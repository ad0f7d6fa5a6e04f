import { Controller, Get, Optional } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { KafkaClient } from '../kafka';

const PROBE_TIMEOUT_MS = 2000;

/**
 * Liveness checks nothing outside the process; readiness checks Kafka, and Postgres when the
 * service has a database (PlatformOptions.database).
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly kafka: KafkaClient,
    @Optional() private readonly dataSource?: DataSource,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    const dataSource = this.dataSource;
    if (!dataSource) return this.health.check([() => this.kafkaUp()]);
    return this.health.check([() => this.kafkaUp(), () => this.postgresUp(dataSource)]);
  }

  private async kafkaUp() {
    const indicator = this.indicators.check('kafka');
    try {
      const brokers = await this.kafka.ping(PROBE_TIMEOUT_MS);
      return indicator.up({ brokers });
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  private async postgresUp(dataSource: DataSource) {
    const indicator = this.indicators.check('postgres');
    try {
      await dataSource.query('SELECT 1');
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }
}
