import { Admin, Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { StreamsApp } from '@clickstream/streams';
import { dropDatabase, migrate } from '../../libs/platform/src/database/migrate';
import { log } from './format';
import type { StreamsBenchArgs } from './options';
import { timePhases } from './phase-timer';

/** The app runs with the default allowed lateness, so only event time closes windows. */
export const LATENESS_MS = 120_000;

/** What one run creates, each named after the run's start so runs never share anything. */
export interface RunNames {
  dbUrl: string;
  input: string;
  output: string;
  appId: string;
  rawGroup: string;
  verifyGroup: string;
}

export function runNames(stamp: number, pgBase: string): RunNames {
  return {
    dbUrl: `${pgBase.replace(/\/$/, '')}/clickstream_bench_${stamp}`,
    input: `bench.streams.in.${stamp}`,
    output: `bench.streams.out.${stamp}`,
    appId: `bench-streams-${stamp}`,
    rawGroup: `bench-raw-${stamp}`,
    verifyGroup: `bench-verify-${stamp}`,
  };
}

/** The run's Kafka clients, database pool and app, with setup and a cleanup that runs once. */
export class BenchRun {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry = new Registry();
  pool: Pool | undefined;
  app: StreamsApp | undefined;
  private dbCreated = false;
  private topicsCreated = false;
  private cleaning: Promise<boolean> | undefined;

  constructor(
    readonly args: StreamsBenchArgs,
    readonly names: RunNames,
    readonly brokers: string[],
    stamp: number,
  ) {
    this.kafka = new Kafka({ clientId: `bench-${stamp}`, brokers, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
  }

  /** Input and output topics, the migrated database and a pool on it. */
  async setup(): Promise<Pool> {
    const { input, output, dbUrl } = this.names;
    await this.admin.connect();
    await this.admin.createTopics({
      topics: [
        { topic: input, numPartitions: this.args.partitions, replicationFactor: 1 },
        { topic: output, numPartitions: this.args.partitions, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    this.topicsCreated = true;
    this.dbCreated = true; // migrate creates it; drop it even if migrate fails half-way
    await migrate(dbUrl);
    this.pool = new Pool({ connectionString: dbUrl, max: 4 });
    return this.pool;
  }

  /** Stops the app, deletes topics and consumer groups, drops the database (not with --keep); also on Ctrl-C. */
  cleanup(): Promise<boolean> {
    this.cleaning ??= this.clean();
    return this.cleaning;
  }

  private async clean(): Promise<boolean> {
    const { input, output, dbUrl } = this.names;
    timePhases(false);
    await this.app
      ?.stop()
      .catch((error: Error) => console.error(`cleanup: app.stop: ${error.message}`));
    await this.pool?.end().catch(() => undefined);
    let ok = true;
    if (this.args.keep) log(`cleanup:   --keep: left ${input}, ${output}, ${dbUrl}`);
    else {
      ok = await this.deleteAll();
      log(`cleanup:   ${ok ? 'done' : 'INCOMPLETE'}: topics, consumer groups, database`);
    }
    await this.admin.disconnect().catch(() => undefined);
    return ok;
  }

  private async deleteAll(): Promise<boolean> {
    const { input, output, dbUrl, rawGroup, verifyGroup, appId } = this.names;
    let ok = true;
    if (this.topicsCreated) {
      await this.admin.deleteTopics({ topics: [input, output] }).catch((error: Error) => {
        ok = false;
        console.error(`cleanup: delete topics: ${error.message}`);
      });
      await this.admin
        .deleteGroups([rawGroup, verifyGroup, appId, `${appId}.outbox`])
        .catch(() => undefined);
    }
    if (this.dbCreated) {
      await dropDatabase(dbUrl).catch((error: Error) => {
        ok = false;
        console.error(`cleanup: drop database: ${error.message}`);
      });
    }
    return ok;
  }
}
