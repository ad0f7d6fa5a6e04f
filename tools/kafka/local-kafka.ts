/**
 * A single-node Apache Kafka broker (KRaft, combined broker+controller) on loopback, built from
 * Maven Central artifacts and cached outside the repo. Used by `npm run kafka:*`, jest's global
 * setup and CI. When KAFKA_BROKERS is set, that broker is used and nothing is started.
 * KAFKA_VERSION picks the release (kafka-version.ts: 4.1.2 by default, 3.9.x for one more release);
 * both format a static one-voter quorum with `kafka.tools.StorageTool format` and run `kafka.Kafka`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { quietKafka } from '../shared/quiet-kafka';
import { KafkaVersion, kafkaVersion, mavenVersionArgs } from './kafka-version';

export { DEFAULT_KAFKA_VERSION } from './kafka-version';
const POM = resolve(__dirname, 'pom.xml');
const DEFAULT_PORT = 19092;
const DEPENDENCY_PLUGIN =
  'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies';

export interface LocalKafkaOptions {
  /** KAFKA_VERSION (default 4.1.2) and how that line logs. */
  kafka: KafkaVersion;
  /** Where the jars, data and logs live (outside the repo), one directory per version. */
  home: string;
  port: number;
  controllerPort: number;
  heapMb: number;
}

export interface BrokerHandle {
  brokers: string;
  /** true when this call started the broker (so its caller owns stopping it). */
  started: boolean;
  external: boolean;
}

export class LocalKafkaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalKafkaError';
  }
}

export function localKafkaOptions(env: NodeJS.ProcessEnv = process.env): LocalKafkaOptions {
  const cacheRoot =
    env.CLICKSTREAM_CACHE_DIR ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'clickstream');
  const kafka = kafkaVersion(env);
  return {
    kafka,
    home: join(cacheRoot, `kafka-${kafka.version}`),
    port: intFromEnv(env, 'KAFKA_LOCAL_PORT', DEFAULT_PORT),
    controllerPort: intFromEnv(env, 'KAFKA_LOCAL_CONTROLLER_PORT', 19093),
    heapMb: intFromEnv(env, 'KAFKA_LOCAL_HEAP_MB', 1024),
  };
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new LocalKafkaError(`${name} must be a positive integer (got "${raw}")`);
  }
  return value;
}

/**
 * A broker on another KAFKA_LOCAL_PORT gets its own data, pid file and log (run-<port>), so
 * status and stop never mistake one broker for another of the same version.
 */
const paths = (o: LocalKafkaOptions) => {
  const run = join(o.home, o.port === DEFAULT_PORT ? 'run' : `run-${o.port}`);
  return {
    libs: join(o.home, 'libs'),
    libsMarker: join(o.home, 'libs', '.complete'),
    run,
    data: join(run, 'data'),
    pid: join(run, 'broker.pid'),
    log: join(run, 'broker.log'),
    properties: join(run, 'server.properties'),
    logging: join(run, o.kafka.logging.configFile),
  };
};

export function localBrokers(o: LocalKafkaOptions): string {
  return `127.0.0.1:${o.port}`;
}

/** Resolves the broker's jars with mvn once; later calls reuse the cache. */
export function ensureRuntime(
  o: LocalKafkaOptions,
  log: (line: string) => void = () => undefined,
): string {
  const p = paths(o);
  const versionArgs = mavenVersionArgs(o.kafka);
  // The marker records what was resolved: a changed pom or version resolves again.
  const marker = `${versionArgs.join(' ')}\n${readFileSync(POM, 'utf8')}`;
  if (existsSync(p.libsMarker) && readFileSync(p.libsMarker, 'utf8') === marker) return p.libs;
  requireCommand(
    'mvn',
    ['-v'],
    'Apache Maven is needed to fetch Kafka from Maven Central: apt-get install maven',
  );
  requireCommand(
    'java',
    ['-version'],
    'Java 17+ is needed to run Kafka: apt-get install openjdk-17-jre-headless',
  );
  log(`resolving org.apache.kafka:kafka_2.13:${o.kafka.version} from Maven Central into ${p.libs}`);
  rmSync(p.libs, { recursive: true, force: true });
  mkdirSync(p.libs, { recursive: true });
  const mvn = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      POM,
      ...versionArgs,
      DEPENDENCY_PLUGIN,
      '-DincludeScope=runtime',
      `-DoutputDirectory=${p.libs}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (mvn.status !== 0) {
    throw new LocalKafkaError(
      `mvn could not resolve Kafka (exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`,
    );
  }
  const jars = readdirSync(p.libs).filter((f) => f.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${o.kafka.version}.jar`)) {
    throw new LocalKafkaError(
      `mvn finished but ${p.libs} holds no kafka_2.13-${o.kafka.version}.jar`,
    );
  }
  writeFileSync(p.libsMarker, marker);
  log(`resolved ${jars.length} jars`);
  return p.libs;
}

function requireCommand(cmd: string, args: string[], hint: string): void {
  const probe = spawnSync(cmd, args, { stdio: 'ignore' });
  if (probe.error) throw new LocalKafkaError(`${cmd} not found on PATH. ${hint}`);
}

function writeConfig(o: LocalKafkaOptions): void {
  const p = paths(o);
  mkdirSync(p.run, { recursive: true });
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${p.data}`,
    'num.partitions=1',
    // Services create their topics; a typo must not silently create a new one.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    // Fewer internal partitions: faster first group join on a 2-core machine.
    'offsets.topic.num.partitions=10',
    'transaction.state.log.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'log.retention.hours=24',
    '',
  ].join('\n');
  writeFileSync(p.properties, props);
  writeFileSync(p.logging, o.kafka.logging.config);
}

function javaArgs(o: LocalKafkaOptions, mainClass: string, args: string[]): string[] {
  const p = paths(o);
  return [
    `-Xms256m`,
    `-Xmx${o.heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    o.kafka.logging.jvmFlag(p.logging),
    '-cp',
    join(p.libs, '*'),
    mainClass,
    ...args,
  ];
}

/** Kafka's Uuid in base64url; Kafka refuses ids that start with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function formatStorage(o: LocalKafkaOptions): void {
  const p = paths(o);
  if (existsSync(join(p.data, 'meta.properties'))) return;
  mkdirSync(p.data, { recursive: true });
  const res = spawnSync(
    'java',
    javaArgs(o, 'kafka.tools.StorageTool', ['format', '-t', clusterId(), '-c', p.properties]),
    { encoding: 'utf8' },
  );
  if (res.status !== 0)
    throw new LocalKafkaError(`kafka-storage format failed:\n${res.stdout}${res.stderr}`);
}

/** The local broker's pid, when its pid file names one (tests pause it with SIGSTOP). */
export function readPid(o: LocalKafkaOptions): number | undefined {
  const file = paths(o).pid;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true once the broker answers a metadata request (what every client needs first). */
export async function servesMetadata(brokers: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const kafka = quietKafka('clickstream-kafka-probe', brokers, {
    connectionTimeout: 1000,
    retry: { retries: 0 },
  });
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return true;
    } catch {
      // not up yet
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Resolves true when something accepts TCP connections on 127.0.0.1:port. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (taken: boolean) => {
      socket.destroy();
      resolve(taken);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Each version has its own home and pid file, so a broker of another KAFKA_VERSION on the same
 * ports is invisible to this one: refuse to start rather than report that broker as ours.
 */
async function requireFreePorts(o: LocalKafkaOptions): Promise<void> {
  for (const port of [o.port, o.controllerPort]) {
    if (await portTaken(port)) {
      throw new LocalKafkaError(
        `127.0.0.1:${port} is in use, but not by the Kafka ${o.kafka.version} broker of ${o.home} ` +
          '(a broker of another KAFKA_VERSION?): stop that process, or set KAFKA_LOCAL_PORT and KAFKA_LOCAL_CONTROLLER_PORT',
      );
    }
  }
}

function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

export async function startBroker(
  o: LocalKafkaOptions = localKafkaOptions(),
  log: (line: string) => void = () => undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<BrokerHandle> {
  if (env.KAFKA_BROKERS) {
    log(`KAFKA_BROKERS=${env.KAFKA_BROKERS} is set: using that broker, starting none`);
    if (!(await servesMetadata(env.KAFKA_BROKERS, 30_000))) {
      throw new LocalKafkaError(
        `KAFKA_BROKERS=${env.KAFKA_BROKERS} does not answer metadata requests`,
      );
    }
    return { brokers: env.KAFKA_BROKERS, started: false, external: true };
  }
  const brokers = localBrokers(o);
  const pid = readPid(o);
  if (pid !== undefined && alive(pid) && (await servesMetadata(brokers, 5_000))) {
    log(`broker already running (pid ${pid}) on ${brokers}`);
    return { brokers, started: false, external: false };
  }
  await requireFreePorts(o);
  ensureRuntime(o, log);
  writeConfig(o);
  formatStorage(o);
  const p = paths(o);
  const out = openSync(p.log, 'a');
  const child = spawn('java', javaArgs(o, 'kafka.Kafka', [p.properties]), {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exitCode: number | null = null;
  child.on('exit', (code) => (exitCode = code ?? -1));
  child.unref();
  writeFileSync(p.pid, String(child.pid));
  log(
    `starting Apache Kafka ${o.kafka.version} (KRaft, pid ${child.pid}) on ${brokers}; log ${p.log}`,
  );
  const started = Date.now();
  const ready = await servesMetadata(brokers, 90_000);
  if (!ready || exitCode !== null) {
    if (child.pid) killQuietly(child.pid);
    throw new LocalKafkaError(
      `broker did not come up on ${brokers} (exit ${exitCode}). Log tail:\n${tail(p.log)}`,
    );
  }
  log(`broker ready on ${brokers} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { brokers, started: true, external: false };
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM (Kafka shuts down cleanly), then SIGKILL after the grace period. */
export async function stopBroker(
  o: LocalKafkaOptions = localKafkaOptions(),
  log: (line: string) => void = () => undefined,
  graceMs = 30_000,
): Promise<boolean> {
  const pid = readPid(o);
  const p = paths(o);
  if (pid === undefined || !alive(pid)) {
    log('no local broker running');
    rmSync(p.pid, { force: true });
    return false;
  }
  killQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    log(`broker pid ${pid} ignored SIGTERM for ${graceMs} ms: killing`);
    killQuietly(pid);
  }
  rmSync(p.pid, { force: true });
  log(`broker pid ${pid} stopped`);
  return true;
}

export async function brokerStatus(o: LocalKafkaOptions = localKafkaOptions()): Promise<string> {
  const pid = readPid(o);
  const brokers = localBrokers(o);
  if (pid === undefined || !alive(pid)) return `stopped (Kafka ${o.kafka.version}, home ${o.home})`;
  const ok = await servesMetadata(brokers, 3_000);
  return `${ok ? 'running' : 'starting or unhealthy'} (Kafka ${o.kafka.version}, pid ${pid}) on ${brokers}`;
}

/** Removes topics' data so the next start is a brand-new cluster. */
export function wipeData(o: LocalKafkaOptions = localKafkaOptions()): void {
  rmSync(paths(o).data, { recursive: true, force: true });
}
