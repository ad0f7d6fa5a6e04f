import { DynamicModule, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggingConfig, LoggingConfig } from '../config';
import { ServiceInfo } from '../service-info';

/** Structured JSON logs (pino): fixed messages, context in fields, secrets redacted. */
export function loggingModule(service: ServiceInfo): DynamicModule {
  return LoggerModule.forRootAsync({
    inject: [loggingConfig.KEY],
    useFactory: (cfg: LoggingConfig) => ({
      // Probes and scrapes would drown the request log.
      exclude: [
        { method: RequestMethod.GET, path: 'health/live' },
        { method: RequestMethod.GET, path: 'health/ready' },
        { method: RequestMethod.GET, path: 'metrics' },
      ],
      pinoHttp: {
        level: cfg.level,
        base: { service: service.name },
        redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
        transport: cfg.pretty ? { target: 'pino-pretty' } : undefined,
      },
    }),
  });
}
