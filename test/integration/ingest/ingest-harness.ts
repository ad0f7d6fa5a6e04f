import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { topicNames, TopicNames } from '@clickstream/contracts';
import {
  readWholeTopic,
  testKafka,
  uniqueName,
  deleteTopics,
  ConsumedRecord,
} from '../../support/kafka';
import { scrapedSum } from '../../support/scraped-metrics';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { localKafkaOptions, readPid } from '../../../tools/kafka/local-kafka';

export const PARTITIONS = 3;
export const FIXTURES = resolve(__dirname, '../../../libs/contracts/test/csv-fixtures');
export const fixture = (name: string) => readFileSync(resolve(FIXTURES, name), 'utf8');

/** An ingest instance with a private topic namespace (KAFKA_TOPIC_PREFIX). */
export async function startIngest(
  env: Record<string, string> = {},
): Promise<{ svc: RunningService; topics: TopicNames; cleanup(): Promise<void> }> {
  const prefix = `${uniqueName('ingest')}.`;
  const svc = await startService('ingest', {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    ...env,
  });
  await waitForHttpOk(svc, '/health/ready', 60_000);
  const topics = topicNames(prefix);
  return {
    svc,
    topics,
    async cleanup() {
      await svc.stop('SIGTERM');
      await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
    },
  };
}

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    accepted: number;
    rejected: number;
    errors: Array<{ index: number; field: string; message: string }>;
    message?: string;
  };
}

export async function post(
  svc: RunningService,
  path: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(svc.url(path), {
    method: 'POST',
    body,
    headers: { 'content-type': contentType, ...headers },
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: (await res.json()) as Answer['body'],
  };
}

/** Every record on the topic so far (markers make sure nothing in flight is missed). */
export async function readAll(
  topic: string,
): Promise<Array<ConsumedRecord & { json: Record<string, unknown> }>> {
  const records = await readWholeTopic(testKafka(), topic, PARTITIONS);
  return records.map((r) => ({ ...r, json: JSON.parse(r.value!) as Record<string, unknown> }));
}

/** An event without the fields ingest assigns per request. */
export function comparable(e: Record<string, unknown>): Record<string, unknown> {
  const { event_id: _id, received_at: _r, ...rest } = e;
  return rest;
}

/**
 * Status of a POST whose body the server refuses by its Content-Length (413) before reading it.
 * Only the headers are sent at first: the server answers and closes without waiting for the body, so
 * writing the body would race with that close (EPIPE). The body follows only if no answer comes.
 */
export function postStatus(
  svc: RunningService,
  path: string,
  body: string,
  contentType: string,
): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    let answered = false;
    const req = request(
      svc.url(path),
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        answered = true;
        clearTimeout(timer);
        res.resume();
        resolveStatus(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.flushHeaders();
    const timer = setTimeout(() => {
      if (!answered) req.end(body);
    }, 5000);
  });
}

/**
 * Status of a POST of which only the headers are ever sent (Content-Length announces `bytes`). Only
 * a server that answers before reading the body answers at all: otherwise this fails after
 * `timeoutMs`, as nothing of the body comes.
 */
export function headersOnlyStatus(
  svc: RunningService,
  path: string,
  bytes: number,
  headers: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(
      svc.url(path),
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': bytes, ...headers },
      },
      (res) => {
        clearTimeout(timer);
        res.resume();
        resolveStatus(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on('error', (err) => reject(err));
    req.flushHeaders();
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(
          `no answer within ${timeoutMs} ms without the body: the server waits for the body`,
        ),
      );
    }, timeoutMs);
  });
}

/** Ingest's count of commits retried in doubt (`ingest_commit_retries_total`, any labels). */
export async function commitRetries(metricsUrl: string): Promise<number> {
  return (await scrapedSum(metricsUrl, 'ingest_commit_retries_total')) ?? 0;
}

/**
 * The pid of the local broker, for tests that freeze it (SIGSTOP): refuses an external
 * KAFKA_BROKERS, which a test must never pause.
 */
export function localBrokerPid(): number {
  if (process.env.KAFKA_BROKERS !== `127.0.0.1:${localKafkaOptions().port}`)
    throw new Error('this test freezes the local broker: run it without an external KAFKA_BROKERS');
  const found = readPid(localKafkaOptions());
  if (found === undefined) throw new Error('the local broker has no pid file');
  return found;
}

/** Each thread's scheduler state ('R', 'S', 'T' for stopped, ...), from /proc. */
function threadStates(pid: number): string[] {
  const states: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      states.push(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return states;
}

/**
 * Freezes the local broker and returns once every one of its threads is stopped. kill() only
 * queues SIGSTOP: until each thread has taken it, the broker can still answer a request sent
 * just after (a commit "through" a frozen broker). Exited threads (Z, X) count as stopped.
 */
export async function freezeBroker(pid: number, timeoutMs = 5_000): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const started = Date.now();
  for (;;) {
    const running = threadStates(pid).filter((s) => !['T', 't', 'Z', 'X'].includes(s));
    if (running.length === 0) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `broker ${pid}: ${running.length} threads not stopped ${timeoutMs} ms after SIGSTOP (${running.join('')})`,
      );
    await new Promise((r) => setTimeout(r, 1));
  }
}
