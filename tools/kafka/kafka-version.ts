/**
 * Which Apache Kafka the local broker runs (KAFKA_VERSION) and what differs between the lines it
 * supports: Kafka 4 logs through log4j2, Kafka 3.9 through log4j 1 (reload4j). Everything else (the
 * KRaft properties, the static controller quorum, `kafka.tools.StorageTool format`, `kafka.Kafka`)
 * is the same on both.
 */

/** The current 4.1.x on Maven Central (org.apache.kafka:kafka_2.13). */
export const DEFAULT_KAFKA_VERSION = '4.1.2';
/** The last 3.x line; kept working for one release after the move to Kafka 4. */
export const LEGACY_KAFKA_LINE = '3.9';

export interface KafkaLogging {
  /** The pom.xml profile that adds the matching slf4j binding. */
  mavenProfile: 'log4j2' | 'reload4j';
  /** File name of the logging configuration written beside server.properties. */
  configFile: string;
  /** JVM system property that points the logging framework at that file. */
  jvmFlag: (path: string) => string;
  /** The configuration: WARN and up, plus the broker's start-up line at INFO. */
  config: string;
}

export interface KafkaVersion {
  version: string;
  major: number;
  logging: KafkaLogging;
}

export class KafkaVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaVersionError';
  }
}

/** A logging framework: its Maven profile, its config file and the JVM property naming it. */
function kafkaLogging(
  mavenProfile: KafkaLogging['mavenProfile'],
  configFile: string,
  property: string,
  lines: string[],
): KafkaLogging {
  return {
    mavenProfile,
    configFile,
    jvmFlag: (path) => `-D${property}=file:${path}`,
    config: [...lines, ''].join('\n'),
  };
}

const LOG4J2 = kafkaLogging('log4j2', 'log4j2.properties', 'log4j2.configurationFile', [
  'status = warn',
  'appender.stdout.type = Console',
  'appender.stdout.name = STDOUT',
  'appender.stdout.layout.type = PatternLayout',
  'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.raftServer.name = kafka.server.KafkaRaftServer',
  'logger.raftServer.level = INFO',
]);

const RELOAD4J = kafkaLogging('reload4j', 'log4j.properties', 'log4j.configuration', [
  'log4j.rootLogger=WARN, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
]);

/** KAFKA_VERSION, or the default; only 4.x and 3.9.x are accepted (what this tool was run with). */
export function kafkaVersion(env: NodeJS.ProcessEnv = process.env): KafkaVersion {
  const version = env.KAFKA_VERSION?.trim() || DEFAULT_KAFKA_VERSION;
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) {
    throw new KafkaVersionError(
      `KAFKA_VERSION must be a release such as ${DEFAULT_KAFKA_VERSION} (got "${version}")`,
    );
  }
  const major = Number(match[1]);
  if (major === 4) return { version, major, logging: LOG4J2 };
  if (`${match[1]}.${match[2]}` === LEGACY_KAFKA_LINE) return { version, major, logging: RELOAD4J };
  throw new KafkaVersionError(
    `KAFKA_VERSION=${version} is not supported: use a 4.x release (default ${DEFAULT_KAFKA_VERSION}) or ${LEGACY_KAFKA_LINE}.x`,
  );
}

/** Maven arguments that select the version and its logging binding (see pom.xml). */
export function mavenVersionArgs(v: KafkaVersion): string[] {
  return [`-Dkafka.version=${v.version}`, '-P', v.logging.mavenProfile];
}
