import 'reflect-metadata';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import {
  ConfigDefinition,
  httpConfig,
  HttpConfig,
  parseEnv,
  runtimeConfig,
  RuntimeConfig,
} from './config';
import { withTimeout } from '@clickstream/streams';
import { ConfigValidationError } from './errors';
import { FATAL_CLOSE_TIMEOUT_MS, FatalShutdown } from './lifecycle/fatal-shutdown';
import { PlatformOptions, platformConfigs } from './platform.module';
import { applyRuntimeConfig } from './runtime-flags';

export interface BootstrapOptions {
  name: string;
  defaultPort: number;
  /** Largest accepted request body in bytes (Fastify rejects larger ones with 413); read after validation. */
  bodyLimit?: () => number;
  /** Extra raw-body content types (e.g. NDJSON, CSV) handed to handlers as strings, within bodyLimit. */
  textContentTypes?: string[];
  /** Every config the service loads: validated before Nest boots, so a bad variable fails cleanly. */
  configs: ConfigDefinition[];
  /** Serve OpenAPI docs at /docs. */
  docs?: { title: string; description: string };
}

/** A service's identity and feature configs, as its service.ts declares them (SPEC §1). */
export interface ServiceDefinition extends PlatformOptions {
  description: string;
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: ConfigDefinition[];
  /** Node flags every launcher starts it with (NODE_OPTIONS in compose and Kubernetes). */
  nodeOptions: readonly string[];
}

/** Every config a service loads: the platform's and its own (the deploy specs check env against them). */
export function serviceConfigs(service: ServiceDefinition): ConfigDefinition[] {
  return [...platformConfigs(service.defaultPort), ...service.configs];
}

/** Boot options of a defined service: all its configs, docs titled after it. */
export function serviceBootstrapOptions(service: ServiceDefinition): BootstrapOptions {
  return {
    name: service.name,
    defaultPort: service.defaultPort,
    configs: serviceConfigs(service),
    docs: { title: `Clickstream ${service.name}`, description: service.description },
  };
}

export async function createServiceApp(
  module: Type<unknown>,
  options: BootstrapOptions,
): Promise<NestFastifyApplication> {
  const bodyLimit = options.bodyLimit?.() ?? 1_048_576;
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ bodyLimit, trustProxy: true }),
    { bufferLogs: true, abortOnError: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // Only JSON and the types a service declares are bodies; anything else is 415, text/plain included.
  fastify.removeContentTypeParser('text/plain');
  for (const type of options.textContentTypes ?? []) {
    fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
  }
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  if (options.docs) mountDocs(app, options.docs);
  return app;
}

function mountDocs(app: INestApplication, docs: { title: string; description: string }): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(docs.title)
      .setDescription(docs.description)
      .addBearerAuth()
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}

/** Closes the app as on SIGTERM (bounded), then exits 1: the service failed (FatalShutdown). */
async function closeAfterFatal(app: INestApplication, error: Error): Promise<void> {
  const logger = app.get(Logger);
  const code = (error as { code?: unknown }).code;
  logger.error({ msg: 'service stopping after a fatal error', code, err: error.message });
  await withTimeout(app.close(), FATAL_CLOSE_TIMEOUT_MS, 'close after a fatal error').catch(
    (err: Error) => logger.error({ msg: 'close after a fatal error failed', err: err.message }),
  );
  process.exit(1);
}

/**
 * Boots a service and listens. A config error stops the process with exit code 1 and a message that
 * names the variable; any other boot failure exits 1 as well, with the error logged.
 */
export async function bootstrapService(
  module: Type<unknown>,
  options: BootstrapOptions,
): Promise<void> {
  try {
    for (const config of options.configs) parseEnv(config.envShape, process.env);
    const v8Flags = applyRuntimeConfig(runtimeConfig() as RuntimeConfig);
    const app = await createServiceApp(module, options);
    const http = app.get<HttpConfig>(httpConfig(options.defaultPort).KEY);
    await app.listen(http.port, http.host);
    app.get(Logger).log({ msg: 'service listening', port: http.port, host: http.host, v8Flags });
    app.get(FatalShutdown).install((error) => closeAfterFatal(app, error));
  } catch (err) {
    const message =
      err instanceof ConfigValidationError
        ? `${options.name}: ${err.message}`
        : `${options.name}: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
