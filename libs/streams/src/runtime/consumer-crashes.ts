import { StreamsError } from '../core/errors';
import { restartDelayMs, sleep } from './backoff';
import { InstanceFencedError, isInstanceFenced } from './errors';
import { StreamsMetrics } from './metrics';
import { ResolvedOptions } from './streams-app-options';

/** What the crash handling drives in the app. */
export interface ConsumerCrashTarget {
  running(): boolean;
  /** Builds, connects and runs a new consumer. */
  startConsumer(): Promise<void>;
  /** Leaves the group and closes every task, before a new consumer. */
  dropConsumer(): Promise<void>;
  /** The app's own clean stop. */
  stop(): Promise<void>;
}

/**
 * What happens when kafkajs's consumer crashes. Usually it is rebuilt after a jittered, growing
 * pause (kafkajs restarts it itself when it says so). When another member took this instance's
 * group instance id, the app stops for good: a restart would fence the other in turn, and the two
 * would take the partitions from each other without end (Kafka's own clients treat the fence as
 * fatal too). Each crash is logged and counted.
 */
export class ConsumerCrashes {
  private restarting = false;
  private fatal: StreamsError | null = null;

  constructor(
    private readonly o: Pick<
      ResolvedOptions,
      'logger' | 'restartBackoff' | 'groupInstanceId' | 'onFatal'
    >,
    private readonly processor: string,
    private readonly metrics: Pick<StreamsMetrics, 'consumerRestarts' | 'instanceFenced'>,
    private readonly app: ConsumerCrashTarget,
  ) {}

  /** Why the app stopped for good, or null. */
  get fatalError(): StreamsError | null {
    return this.fatal;
  }

  /** kafkajs's CRASH event: `restart`, whether kafkajs restarts the consumer itself. */
  crashed(error: Error, restart: boolean): void {
    if (isInstanceFenced(error)) return void this.stopFenced(error);
    this.metrics.consumerRestarts.inc({ processor: this.processor });
    this.o.logger.error(
      {
        processor: this.processor,
        groupInstanceId: this.o.groupInstanceId,
        err: error.message,
        restart,
      },
      'consumer crashed',
    );
    if (!restart) void this.restart();
  }

  /**
   * Stops the app, then tells the embedder (onFatal). The tasks close as on a clean stop; their
   * new owner's claim fences any commit of theirs still in flight.
   */
  private async stopFenced(cause: unknown): Promise<void> {
    // Once; and a fence reported while the app stops anyway ends nothing more.
    if (this.fatal || !this.app.running()) return;
    const error = new InstanceFencedError(this.processor, this.o.groupInstanceId, cause);
    this.fatal = error;
    this.metrics.instanceFenced.inc({ processor: this.processor });
    this.o.logger.error(
      {
        processor: this.processor,
        groupInstanceId: this.o.groupInstanceId,
        code: error.code,
        err: error.message,
      },
      'group instance fenced',
    );
    await this.app
      .stop()
      .catch((err: Error) =>
        this.o.logger.error(
          { processor: this.processor, err: err.message },
          'stop after a fence failed',
        ),
      );
    this.o.onFatal?.(error);
  }

  /** kafkajs gave up on the consumer: build a new one after a jittered, growing pause. */
  private async restart(): Promise<void> {
    if (this.restarting || !this.app.running()) return;
    this.restarting = true;
    try {
      await this.app.dropConsumer();
      for (let attempt = 1; this.app.running(); attempt++) {
        const delay = restartDelayMs(attempt, this.o.restartBackoff);
        this.o.logger.warn(
          { processor: this.processor, attempt, retryInMs: delay },
          'consumer restarting',
        );
        await sleep(delay);
        try {
          await this.app.startConsumer();
          this.o.logger.info({ processor: this.processor, attempt }, 'consumer restarted');
          return;
        } catch (err) {
          this.o.logger.error(
            { processor: this.processor, err: (err as Error).message, attempt },
            'consumer restart failed',
          );
        }
      }
    } finally {
      this.restarting = false;
    }
  }
}
