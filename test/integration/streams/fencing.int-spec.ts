import { Pool } from 'pg';
import { OutboxPublisher, TaskFencedError } from '@clickstream/streams';
import { TaskRepository } from '@clickstream/streams/internals';
import { createTopic, deleteTopics, readTopic, testKafka, uniqueName } from '../../support/kafka';
import { taskCommit } from '../../support/task-commit';

const emptyCommit = (nextOffset: string) =>
  taskCommit(nextOffset, {
    storeChanges: new Map([['s', new Map<string, unknown>([['k', { v: nextOffset }]])]]),
  });

describe('zombie fencing', () => {
  const kafka = testKafka();
  let pool: Pool;
  const topic = uniqueName('fence-src');
  const out = uniqueName('fence-out');

  beforeAll(async () => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
    await createTopic(kafka, topic, 1);
    await createTopic(kafka, out, 1);
  });

  afterAll(async () => {
    await pool.end();
    await deleteTopics(kafka, [topic, out]);
  });

  it('a previous owner of a task commits nothing to Postgres once a new owner claimed it', async () => {
    const repo = new TaskRepository(pool);
    const id = { appId: uniqueName('fence-app'), topic, partition: 0 };
    const old = await repo.claim(id);
    await repo.commit(id, old.epoch, emptyCommit('10'), 0);
    const current = await repo.claim(id);
    expect(current.nextOffset).toBe('10');
    expect(current.stores.get('s')).toEqual([['k', { v: '10' }]]);

    await expect(repo.commit(id, old.epoch, emptyCommit('99'), 0)).rejects.toBeInstanceOf(
      TaskFencedError,
    );
    await repo.commit(id, current.epoch, emptyCommit('20'), 0);
    const after = await repo.claim(id);
    expect(after.nextOffset).toBe('20');
    expect(after.stores.get('s')).toEqual([['k', { v: '20' }]]);
  });

  it('a previous owner cannot publish once a new owner initialised the same transactional publisher', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const id = { appId: uniqueName('fence-pub'), topic, partition: 0 };
    const zombie = new OutboxPublisher(kafka, admin, id);
    const owner = new OutboxPublisher(kafka, admin, id);
    try {
      expect(await zombie.init()).toBe(0);
      expect(await zombie.publish([{ seq: 0, topic: out, key: 'k', value: 'first' }])).toBe(1);
      expect(await owner.init()).toBe(1); // the checkpoint travelled with the message
      await expect(
        zombie.publish([{ seq: 1, topic: out, key: 'k', value: 'zombie' }]),
      ).rejects.toThrow();
      // The new owner republishes nothing below the checkpoint and continues from it.
      expect(
        await owner.publish([
          { seq: 0, topic: out, key: 'k', value: 'first' },
          { seq: 1, topic: out, key: 'k', value: 'second' },
        ]),
      ).toBe(1);
      const records = await readTopic(kafka, out, (r) => r.length >= 2);
      expect(records.map((r) => r.value)).toEqual(['first', 'second']);
    } finally {
      await zombie.close();
      await owner.close();
      await admin.disconnect();
    }
  });
});
