/**
 * Integration tests run against a real Kafka broker and a real Postgres. This starts the local
 * broker when none runs (unless KAFKA_BROKERS names one) and creates a throw-away database with the
 * schema migrated; global-teardown undoes exactly what was done here.
 */
import { localKafkaOptions, startBroker } from '../../tools/kafka/local-kafka';
import { migrate } from '../../libs/platform/src/database/migrate';
import { testDatabaseUrl } from './postgres';

export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stdout.write(`[integration setup] ${line}\n`);
  const broker = await startBroker(localKafkaOptions(), log);
  process.env.KAFKA_BROKERS = broker.brokers;
  process.env.TEST_OWNS_BROKER = broker.started ? '1' : '';
  log(
    `Kafka at ${broker.brokers} (${broker.external ? 'external' : broker.started ? 'started by the tests' : 'already running'})`,
  );

  const url = testDatabaseUrl(`clickstream_test_${Date.now()}_${process.pid}`);
  const applied = await migrate(url);
  process.env.DATABASE_URL = url;
  log(
    `Postgres database ${new URL(url).pathname.slice(1)} created, migrations applied: ${applied.join(', ')}`,
  );
}
