import { randomUUID } from 'node:crypto';
import { Admin, Kafka, logLevel } from 'kafkajs';
import {
  ALERT_SEVERITIES,
  AlertRule,
  AlertSeverity,
  FraudAlert,
  fraudAlertSchema,
} from '@clickstream/contracts';

/** `npm run cli -- alerts --follow`: what to tail and what to show. */
export interface FollowOptions {
  brokers: string[];
  topic: string;
  /** Only these rules; null: every rule. */
  rules: ReadonlySet<AlertRule> | null;
  /** Only alerts of this severity or higher; null: every severity. */
  minSeverity: AlertSeverity | null;
  /** Start at the first alert published at or after this epoch ms; null: only alerts from now on. */
  sinceMs: number | null;
  /** Exit after this many alerts shown; null: until interrupted. */
  limit: number | null;
  /** One JSON object per line instead of table rows. */
  json: boolean;
}

/** Columns of the live table, with the width each one pads to (a longer value just pushes on). */
const COLUMNS: Array<[string, number, (a: FraudAlert) => string]> = [
  ['detected_at', 24, (a) => a.detected_at],
  ['rule', 17, (a) => a.rule],
  ['severity', 8, (a) => a.severity],
  ['user_id', 20, (a) => a.user_id ?? '*'],
  ['window_start', 24, (a) => a.window_start],
  ['value', 10, (a) => String(a.value)],
  ['threshold', 0, (a) => String(a.threshold)],
];

const row = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(COLUMNS[i][1]))
    .join('  ')
    .trimEnd();

/** The header and rule of the live table (a row per alert follows as it arrives). */
export function followHeader(): string {
  return `${row(COLUMNS.map(([name]) => name))}\n${row(COLUMNS.map(([name, width]) => '-'.repeat(Math.max(width, name.length))))}`;
}

export function followRow(alert: FraudAlert): string {
  return row(COLUMNS.map(([, , cell]) => cell(alert)));
}

/** Whether an alert passes the --rule and --severity filters. */
export function wanted(
  o: Pick<FollowOptions, 'rules' | 'minSeverity'>,
  alert: FraudAlert,
): boolean {
  if (o.rules && !o.rules.has(alert.rule)) return false;
  return (
    !o.minSeverity ||
    ALERT_SEVERITIES.indexOf(alert.severity) >= ALERT_SEVERITIES.indexOf(o.minSeverity)
  );
}

export interface FollowOutput {
  line(text: string): void;
  warn(text: string): void;
}

/**
 * Tails the alert topic as a read_committed consumer: an alert whose transaction the detector
 * aborted (a crash mid-publish) is never shown, and each published alert appears once. The group is
 * throw-away and commits nothing, so following never moves anyone's offsets. Resolves with the
 * number of alerts shown, when `limit` is reached or `stop` fires.
 */
export async function followAlerts(
  o: FollowOptions,
  out: FollowOutput,
  stop: AbortSignal,
): Promise<number> {
  const kafka = new Kafka({
    clientId: 'clickstream-cli',
    brokers: o.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
  });
  const groupId = `clickstream-cli-follow-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(o.topic)) {
      throw new Error(
        `topic ${o.topic} does not exist on ${o.brokers.join(',')} (is the fraud-detector deployed, and KAFKA_TOPIC_PREFIX right?)`,
      );
    }
    // The start is the group's committed offset before it has a member, so no fetch from
    // elsewhere can come first (a seek after run() can race one) and rows never repeat.
    await admin.setOffsets({
      groupId,
      topic: o.topic,
      partitions: await startOffsets(admin, o.topic, o.sinceMs),
    });
    return await consume(kafka, groupId, o, out, stop);
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function consume(
  kafka: Kafka,
  groupId: string,
  o: FollowOptions,
  out: FollowOutput,
  stop: AbortSignal,
): Promise<number> {
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  let shown = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  stop.addEventListener('abort', () => finish(), { once: true });
  if (stop.aborted || o.limit === 0) finish();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: o.topic });
    if (!o.json) out.line(followHeader());
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (o.limit !== null && shown >= o.limit) return;
        const parsed = fraudAlertSchema.safeParse(safeJson(message.value?.toString() ?? ''));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          out.warn(
            `skipped the record at partition ${partition} offset ${message.offset}: ${issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'not an alert'}`,
          );
          return;
        }
        if (!wanted(o, parsed.data)) return;
        out.line(o.json ? JSON.stringify(parsed.data) : followRow(parsed.data));
        shown++;
        if (o.limit !== null && shown >= o.limit) finish();
      },
    });
    await finished;
    return shown;
  } finally {
    await consumer.disconnect();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Each partition's first offset at or after `sinceMs` (kafkajs gives the end when nothing is that recent), or its end. */
async function startOffsets(
  admin: Admin,
  topic: string,
  sinceMs: number | null,
): Promise<Array<{ partition: number; offset: string }>> {
  if (sinceMs !== null) return admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
  return (await admin.fetchTopicOffsets(topic)).map((e) => ({
    partition: e.partition,
    offset: e.high,
  }));
}
