/**
 * npm run kafka:start | kafka:stop | kafka:status
 *   start [--fresh]  provision (mvn, cached) and start a local KRaft broker, wait for metadata
 *   stop             stop it cleanly
 *   status           print whether it runs
 * Prints the bootstrap address on success: `KAFKA_BROKERS=127.0.0.1:19092`.
 *
 * Environment (stop and status need the same values as start):
 *   KAFKA_VERSION                 4.1.2 by default; 3.9.x still works (log4j 1) for one release
 *   KAFKA_LOCAL_PORT              19092 by default; KAFKA_LOCAL_CONTROLLER_PORT 19093
 *   KAFKA_LOCAL_HEAP_MB           1024 by default
 */
import { defineProgram, flag, parseProgramOrExit } from '../shared/args';
import { brokerStatus, localKafkaOptions, startBroker, stopBroker, wipeData } from './local-kafka';

export const KAFKA_PROGRAM = defineProgram({
  invocation: 'tsx tools/kafka/cli.ts',
  description:
    'The local single-node KRaft broker (Apache Kafka from Maven Central, cached in ~/.cache/clickstream).',
  commands: {
    start: {
      description:
        'provision (mvn, cached) and start the broker, wait for its metadata; prints KAFKA_BROKERS=host:port',
      options: { fresh: flag({ description: 'stop the broker and wipe its data first' }) },
    },
    stop: { description: 'stop it cleanly', options: {} },
    status: { description: 'print whether it runs', options: {} },
  },
  epilog: `npm run kafka:start, kafka:stop and kafka:status run these commands.

Environment (stop and status need the same values as start):
  KAFKA_VERSION                 4.1.2 by default; 3.9.x still works (log4j 1) for one release
  KAFKA_LOCAL_PORT              19092 by default; KAFKA_LOCAL_CONTROLLER_PORT 19093
  KAFKA_LOCAL_HEAP_MB           1024 by default`,
});

const log = (line: string) => console.log(`[kafka] ${line}`);

async function main(argv: string[]): Promise<void> {
  const parsed = parseProgramOrExit('kafka', KAFKA_PROGRAM, argv);
  const options = localKafkaOptions();
  switch (parsed.command) {
    case 'start': {
      if (parsed.values.fresh) {
        await stopBroker(options, log);
        wipeData(options);
      }
      const handle = await startBroker(options, log);
      console.log(`KAFKA_BROKERS=${handle.brokers}`);
      return;
    }
    case 'stop':
      await stopBroker(options, log);
      return;
    case 'status':
      console.log(await brokerStatus(options));
      return;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`[kafka] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
