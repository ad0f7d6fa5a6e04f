import { hostname } from 'node:os';
import { ConfigValidationError } from '../errors';
import { env, parseEnv } from './env';
import { databaseConfig, httpConfig, kafkaConfig, streamsConfig } from './platform.config';

describe('parseEnv', () => {
  const shape = {
    PORT: env.port(3000),
    NAMES: env.list(['a']),
    FLAG: env.bool(false),
    MODE: env.enum(['fast', 'safe'] as const, 'safe'),
  };

  it('applies defaults for unset variables', () => {
    expect(parseEnv(shape, {})).toEqual({ PORT: 3000, NAMES: ['a'], FLAG: false, MODE: 'safe' });
  });

  it('parses set values', () => {
    expect(parseEnv(shape, { PORT: '8080', NAMES: 'x, y', FLAG: 'true', MODE: 'fast' })).toEqual({
      PORT: 8080,
      NAMES: ['x', 'y'],
      FLAG: true,
      MODE: 'fast',
    });
  });

  it.each([
    ['PORT', '', 'must be an integer'],
    ['PORT', '70000', 'must be <= 65535'],
    ['NAMES', '', 'must not be empty'],
    ['NAMES', 'a,,b', 'without empty items'],
    ['FLAG', 'yes', 'must be true or false'],
    ['MODE', 'turbo', 'must be one of fast, safe'],
  ])('rejects %s=%j naming the variable and the value', (name, value, reason) => {
    let error: unknown;
    try {
      parseEnv(shape, { [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const e = error as ConfigValidationError;
    expect(e.variable).toBe(name);
    expect(e.message).toContain(`${name}="${value}"`);
    expect(e.message).toContain(reason);
    expect(e.retriable).toBe(false);
    expect(e.code).toBe('CONFIG_INVALID');
  });
});

describe('platform configs', () => {
  it('KAFKA_BROKERS must be host:port items', () => {
    expect(
      parseEnv(kafkaConfig.envShape, { KAFKA_BROKERS: 'k1:9092,k2:9092' }).KAFKA_BROKERS,
    ).toEqual(['k1:9092', 'k2:9092']);
    expect(() => parseEnv(kafkaConfig.envShape, { KAFKA_BROKERS: 'k1' })).toThrow(
      /KAFKA_BROKERS="k1": must be a comma-separated list of host:port/,
    );
  });

  it('DATABASE_URL must be a postgres URL', () => {
    expect(() => parseEnv(databaseConfig.envShape, { DATABASE_URL: 'mysql://db' })).toThrow(
      /DATABASE_URL="mysql:\/\/db"/,
    );
  });

  it('HTTP_PORT defaults to the service port', () => {
    expect(parseEnv(httpConfig(3004).envShape, {}).HTTP_PORT).toBe(3004);
  });

  it('STREAMS_GROUP_INSTANCE_ID is unset by default and must be a Kafka group instance id', () => {
    const parse = (value?: string) =>
      parseEnv(streamsConfig.envShape, { STREAMS_GROUP_INSTANCE_ID: value })
        .STREAMS_GROUP_INSTANCE_ID;
    expect(parse(undefined)).toBeUndefined();
    expect(parse('sessionizer-7d9c5b6f4-x2kqz')).toBe('sessionizer-7d9c5b6f4-x2kqz');
    expect(() => parse('a b')).toThrow(/STREAMS_GROUP_INSTANCE_ID="a b": must be 1-249 characters/);
    expect(() => parse('x'.repeat(250))).toThrow(/STREAMS_GROUP_INSTANCE_ID=/);
    expect(() => parse('..')).toThrow(/STREAMS_GROUP_INSTANCE_ID="..": must not be/);
    expect(() => parse('')).toThrow(/STREAMS_GROUP_INSTANCE_ID=""/);
  });

  it('STREAMS_GROUP_INSTANCE_ID puts the host name in for {hostname}, and checks the result', () => {
    const parse = (value: string) =>
      parseEnv(streamsConfig.envShape, { STREAMS_GROUP_INSTANCE_ID: value })
        .STREAMS_GROUP_INSTANCE_ID;
    expect(parse('sessionizer-{hostname}')).toBe(`sessionizer-${hostname()}`);
    expect(parse('{hostname}.{hostname}')).toBe(`${hostname()}.${hostname()}`);
    expect(() => parse(`x{hostname}${'x'.repeat(249 - hostname().length)}`)).toThrow(
      /STREAMS_GROUP_INSTANCE_ID=.*must be 1-249 characters/,
    );
  });
});
