import { createHash } from 'node:crypto';
import { Serdes } from './serde';
import { RawRecord, StreamTask } from './task';
import { TopologyBuilder } from './topology';

interface Click {
  user: string;
  ts: number;
  pad?: string;
}

function task(maxPayloadBytes?: number): StreamTask {
  const b = new TopologyBuilder('clicks-app');
  b.stream<Click>('clicks', {
    keySerde: Serdes.string(),
    valueSerde: Serdes.json<Click>(),
    timestamp: (v) => v.ts,
  }).to('copy', {
    topic: 'copies',
    keySerde: Serdes.string(),
    valueSerde: Serdes.json(),
    key: (r) => r.value.user,
  });
  return new StreamTask(b.build(), 'clicks', 0, {
    applicationId: 'clicks-app',
    allowedLatenessMs: 0,
    idleTimeoutMs: 30_000,
    lateTopic: 'late',
    deadLetterTopic: 'dlq',
    maxRetries: 2,
    clock: () => 0,
    maxPayloadBytes,
  });
}

const raw = (offset: number, value: Click | string, key = 'u1'): RawRecord => ({
  key: Buffer.from(key),
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  offset: String(offset),
});

describe('StreamTask dead letters and late records', () => {
  it('dead-letters a quarantined record with the given reason, once, instead of processing it', () => {
    const t = task();
    t.quarantine('1', { reason: 'storage_rejected', message: 'numeric field overflow (22003)' });
    t.process([
      raw(0, { user: 'u1', ts: 1 }),
      raw(1, { user: 'u1', ts: 2 }),
      raw(2, { user: 'u1', ts: 3 }),
    ]);
    const c = t.takeCommit();
    expect(c.outbox.map((m) => m.topic)).toEqual(['copies', 'dlq', 'copies']);
    expect(JSON.parse(c.outbox[1].value)).toMatchObject({
      reason: 'storage_rejected',
      message: 'numeric field overflow (22003)',
      original: JSON.stringify({ user: 'u1', ts: 2 }),
      offset: '1',
      attempts: 1,
    });
    expect(c).toMatchObject({ processed: 2, deadLettered: 1, nextOffset: '3' });
    expect(c.deadLetters).toEqual([
      { offset: '1', reason: 'storage_rejected', message: 'numeric field overflow (22003)' },
    ]);
  });

  it('cuts a payload over the limit in dead letters, keeping its size and hash', () => {
    const t = task(1024);
    const big = `{"user":"u1","ts":"not json ${'x'.repeat(5000)}`;
    t.process([raw(0, big)]);
    const record = JSON.parse(t.takeCommit().outbox[0].value);
    expect(record).toMatchObject({
      reason: 'deserialization_failed',
      original: null,
      payload_truncated: true,
      payload_bytes: Buffer.byteLength(big),
      payload_sha256: createHash('sha256').update(big).digest('hex'),
    });
    expect(record.payload_prefix).toBe(big.slice(0, 1024));
  });

  it('cuts a late record over the limit but keeps a small one whole', () => {
    const t = task(1024);
    const late: Click = { user: 'u1', ts: 5, pad: 'y'.repeat(3000) };
    t.process([raw(0, { user: 'u1', ts: 100 }), raw(1, { user: 'u1', ts: 50 }), raw(2, late)]);
    const [, small, cut] = t.takeCommit().outbox.map((m) => JSON.parse(m.value));
    expect(small).toMatchObject({ reason: 'behind_watermark', event: { user: 'u1', ts: 50 } });
    expect(cut).toMatchObject({
      reason: 'behind_watermark',
      event: null,
      payload_truncated: true,
      payload_bytes: JSON.stringify(late).length,
    });
  });

  it('replaces NUL in an outbox key (the outbox stores keys as text)', () => {
    const t = task();
    t.process([raw(0, '{broken', 'nul\u0000user')]);
    expect(t.takeCommit().outbox[0].key).toBe('nul\uFFFDuser');
  });
});
