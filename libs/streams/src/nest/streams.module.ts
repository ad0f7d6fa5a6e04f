import {
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { StreamsApp } from '../runtime/streams-app';
import { StreamsAppOptions } from '../runtime/streams-app-options';

export const STREAMS_APP_OPTIONS = Symbol('STREAMS_APP_OPTIONS');

export interface StreamsModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: FactoryProvider['inject'];
  useFactory: (...args: never[]) => StreamsAppOptions | Promise<StreamsAppOptions>;
}

/** Starts the topology once the Nest app has booted and stops it (cleanly) on shutdown. */
@Injectable()
export class StreamsRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly app: StreamsApp;

  constructor(@Inject(STREAMS_APP_OPTIONS) options: StreamsAppOptions) {
    this.app = new StreamsApp(options);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.app.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.app.stop();
  }
}

/**
 * A service runs a topology by importing `StreamsModule.forRootAsync(...)`; everything else about
 * it stays an ordinary Nest app (health, metrics, config).
 */
@Module({})
export class StreamsModule {
  static forRootAsync(options: StreamsModuleAsyncOptions): DynamicModule {
    const optionsProvider: Provider = {
      provide: STREAMS_APP_OPTIONS,
      inject: options.inject ?? [],
      useFactory: options.useFactory,
    };
    return {
      module: StreamsModule,
      imports: options.imports ?? [],
      providers: [optionsProvider, StreamsRunner],
      exports: [StreamsRunner],
    };
  }
}
