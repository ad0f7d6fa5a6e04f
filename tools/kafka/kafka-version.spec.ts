import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_KAFKA_VERSION,
  kafkaVersion,
  KafkaVersionError,
  mavenVersionArgs,
} from './kafka-version';
import { localKafkaOptions } from './local-kafka';

const pom = readFileSync(join(__dirname, 'pom.xml'), 'utf8');

describe('KAFKA_VERSION', () => {
  it('defaults to Kafka 4.1.2 with log4j2, also when set empty', () => {
    expect(DEFAULT_KAFKA_VERSION).toBe('4.1.2');
    for (const env of [{}, { KAFKA_VERSION: '' }, { KAFKA_VERSION: ' ' }]) {
      const v = kafkaVersion(env);
      expect(v).toMatchObject({ version: '4.1.2', major: 4 });
      expect(v.logging.mavenProfile).toBe('log4j2');
    }
  });

  it('configures Kafka 4 through log4j2 properties and -Dlog4j2.configurationFile', () => {
    const { logging } = kafkaVersion({ KAFKA_VERSION: '4.1.2' });
    expect(logging.configFile).toBe('log4j2.properties');
    expect(logging.jvmFlag('/x/log4j2.properties')).toBe(
      '-Dlog4j2.configurationFile=file:/x/log4j2.properties',
    );
    expect(logging.config).toMatch(/^rootLogger\.level = WARN$/m);
    expect(logging.config).toMatch(/^appender\.stdout\.type = Console$/m);
    expect(logging.config).not.toMatch(/^log4j\./m);
  });

  it('keeps Kafka 3.9 on log4j 1 (reload4j)', () => {
    const v = kafkaVersion({ KAFKA_VERSION: '3.9.1' });
    expect(v.major).toBe(3);
    expect(v.logging.mavenProfile).toBe('reload4j');
    expect(v.logging.configFile).toBe('log4j.properties');
    expect(v.logging.jvmFlag('/x/log4j.properties')).toBe(
      '-Dlog4j.configuration=file:/x/log4j.properties',
    );
    expect(v.logging.config).toMatch(/^log4j\.rootLogger=WARN, stdout$/m);
  });

  it.each(['4.1', 'latest', '4.1.2-rc1', '3.8.1', '2.8.2', '5.0.0'])(
    'refuses KAFKA_VERSION=%s',
    (version) => {
      expect(() => kafkaVersion({ KAFKA_VERSION: version })).toThrow(KafkaVersionError);
    },
  );

  it('passes the version and a logging profile that pom.xml defines to Maven', () => {
    expect(pom).toContain('<artifactId>kafka_2.13</artifactId>');
    expect(pom).toContain('<version>${kafka.version}</version>');
    expect(pom).toContain(`<kafka.version>${DEFAULT_KAFKA_VERSION}</kafka.version>`);
    for (const version of ['4.1.2', '3.9.1']) {
      const v = kafkaVersion({ KAFKA_VERSION: version });
      expect(mavenVersionArgs(v)).toEqual([
        `-Dkafka.version=${version}`,
        '-P',
        v.logging.mavenProfile,
      ]);
      expect(pom).toContain(`<id>${v.logging.mavenProfile}</id>`);
    }
    // The log4j2 profile binds slf4j 1.7 (the broker's slf4j-api) to log4j2.
    expect(pom).toMatch(
      /<id>log4j2<\/id>[\s\S]*<artifactId>log4j-slf4j-impl<\/artifactId>[\s\S]*<id>reload4j<\/id>/,
    );
  });

  it('keeps each version in its own cache home', () => {
    const env = { CLICKSTREAM_CACHE_DIR: '/cache' };
    expect(localKafkaOptions(env).home).toBe('/cache/kafka-4.1.2');
    expect(localKafkaOptions({ ...env, KAFKA_VERSION: '3.9.1' }).home).toBe('/cache/kafka-3.9.1');
    expect(localKafkaOptions({ ...env, KAFKA_VERSION: '3.9.1' }).kafka.logging.mavenProfile).toBe(
      'reload4j',
    );
  });
});
