import { Pool } from 'pg';
import { TaskFencedError } from '@clickstream/streams';
import {
  classifyFailure,
  DEDUPE_LOOKUP_SQL,
  DedupeEntry,
  TaskRepository,
} from '@clickstream/streams/internals';
import { uniqueName } from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { taskCommit } from '../../support/task-commit';

/** A commit that only moves the offset and remembers `ids` (fingerprint and event time from the number after "e-"). */
const remembering = (nextOffset: string, ids: string[]) =>
  taskCommit(nextOffset, {
    processed: ids.length,
    dedupe: {
      remember: {
        ids,
        fingerprints: ids.map((id) => entryOf(id).fingerprint),
        eventTimes: ids.map((id) => entryOf(id).eventTime),
      },
      forgetBefore: null,
    },
  });
const entryOf = (id: string): DedupeEntry => ({
  fingerprint: 1000 + parseInt(id.split('-')[1], 10),
  eventTime: 1_700_000_000_000 + parseInt(id.split('-')[1], 10),
});
const sorted = (rows: Array<[string, DedupeEntry]>) =>
  [...rows].sort(([a], [b]) => a.localeCompare(b));

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const planNodes = (node: PlanNode): PlanNode[] => [
  node,
  ...(node.Plans ?? []).flatMap((child) => planNodes(child)),
];

/** The dedupe's Postgres side (stream_dedupe) through the task repository, on a real Postgres. */
describe('remembered ids in Postgres', () => {
  let pool: Pool;
  let repo: TaskRepository;
  const topic = uniqueName('dedupe-store-src');

  beforeAll(() => {
    pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    repo = new TaskRepository(pool);
  });
  afterAll(() => pool.end());

  it("answers a lookup with exactly the task's remembered ids, not another task's", async () => {
    const mine = { appId: uniqueName('dedupe-a'), topic, partition: 0 };
    const other = { appId: uniqueName('dedupe-b'), topic, partition: 0 };
    const claimed = await repo.claim(mine);
    const otherClaim = await repo.claim(other);
    await repo.commit(mine, claimed.epoch, remembering('3', ['e-1', 'e-2', 'e-3']), 0);
    await repo.commit(other, otherClaim.epoch, remembering('1', ['e-4']), 0);

    const asked = ['e-2', 'e-4', 'e-9', 'e-3'];
    expect(sorted(await repo.rememberedIds(mine, asked))).toEqual([
      ['e-2', entryOf('e-2')],
      ['e-3', entryOf('e-3')],
    ]);
    expect(await repo.rememberedIds(other, asked)).toEqual([['e-4', entryOf('e-4')]]);
  });

  it('looks ids up by key probes in the plan a connection keeps, even one made while the store was empty', async () => {
    // A database of its own, so its stream_dedupe is empty and has no statistics: the lookup is a
    // named statement, and the generic plan a connection keeps after five runs is made from them.
    const db = await createMigratedDatabase('clickstream_test_dedupe_plan');
    const client = await db.pool.connect();
    // The repository's own pool, every plan generic from the first run.
    const generic = new Pool({
      connectionString: db.url,
      max: 1,
      options: '-c plan_cache_mode=force_generic_plan',
    });
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE lookup(bigint, text[]) AS ${DEDUPE_LOOKUP_SQL}`);
      const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (FORMAT JSON) EXECUTE lookup(1, ARRAY['e-1', 'e-2'])`,
      );
      const scans = planNodes(rows[0]['QUERY PLAN'][0].Plan).filter(
        (node) => node['Relation Name'] === 'stream_dedupe',
      );
      // A plain join of the ids got a hash join over a bitmap scan of all of the task's rows here.
      expect(scans.map((node) => [node['Node Type'], node['Index Name']])).toEqual([
        ['Index Scan', 'stream_dedupe_pkey'],
      ]);

      // And the repository's named lookup answers exactly under such a plan.
      const genericRepo = new TaskRepository(generic);
      const id = { appId: uniqueName('dedupe-plan'), topic, partition: 0 };
      const claimed = await genericRepo.claim(id);
      await genericRepo.commit(id, claimed.epoch, remembering('2', ['e-41', 'e-42']), 0);
      for (let round = 0; round < 7; round++) {
        expect(sorted(await genericRepo.rememberedIds(id, ['e-42', 'e-43', 'e-41']))).toEqual([
          ['e-41', entryOf('e-41')],
          ['e-42', entryOf('e-42')],
        ]);
      }
    } finally {
      client.release();
      await generic.end();
      await db.drop();
    }
  });

  it('remembers and finds ids with any text, quotes and backslashes included, each as itself', async () => {
    const id = { appId: uniqueName('dedupe-text'), topic, partition: 0 };
    const claimed = await repo.claim(id);
    // Ids a client may send (SPEC §2: a string of 1–128 characters), each named by a number for entryOf.
    const awkward = [
      'e-21 "quoted"',
      'e-22 back\\slash',
      'e-23 {braces},comma',
      'e-24 NULL',
      'e-25 é 😀',
    ];
    await repo.commit(id, claimed.epoch, remembering('5', awkward), 0);
    const asked = [...awkward, 'e-21 quoted', 'e-22 back\\\\slash', 'e-26'];
    expect(sorted(await repo.rememberedIds(id, asked))).toEqual(
      sorted(awkward.map((a) => [a, entryOf(a)])),
    );
  });

  it("pages through exactly the task's stored ids, each once, with their event times (the filter's load)", async () => {
    const id = { appId: uniqueName('dedupe-page'), topic, partition: 2 };
    const other = { appId: uniqueName('dedupe-page-other'), topic, partition: 2 };
    const claimed = await repo.claim(id);
    const otherClaim = await repo.claim(other);
    const stored = ['e-31 "q"', 'e-32', 'e-33 \\', 'e-34 é', 'e-35'];
    await repo.commit(id, claimed.epoch, remembering('5', stored), 0);
    await repo.commit(other, otherClaim.epoch, remembering('1', ['e-36']), 0);
    const pages: Array<Array<[string, number]>> = [];
    let after: string | null = null;
    for (;;) {
      const page = await repo.rememberedIdsPage(id, after, 2);
      pages.push(page);
      if (page.length < 2) break;
      after = page[page.length - 1][0];
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const read = pages.flat();
    expect(read.map(([i]) => i).sort()).toEqual([...stored].sort());
    expect(read).toHaveLength(stored.length);
    expect(read).toEqual(expect.arrayContaining(stored.map((s) => [s, entryOf(s).eventTime])));
  });

  it('a fenced commit remembers nothing, and remembering a stored id again is refused as data', async () => {
    const id = { appId: uniqueName('dedupe-c'), topic, partition: 1 };
    const old = await repo.claim(id);
    await repo.commit(id, old.epoch, remembering('1', ['e-10']), 0);
    const current = await repo.claim(id);
    await expect(repo.commit(id, old.epoch, remembering('2', ['e-11']), 0)).rejects.toBeInstanceOf(
      TaskFencedError,
    );
    expect(await repo.rememberedIds(id, ['e-11'])).toEqual([]);

    // The insert has no ON CONFLICT: a row that raced in makes the commit fail whole, as a data
    // failure the supervisor isolates (and dead-letters), never a silent second truth.
    const refused = await repo
      .commit(id, current.epoch, remembering('3', ['e-12', 'e-10']), 0)
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(classifyFailure(refused)).toMatchObject({ kind: 'data', code: '23505' });
    expect(await repo.rememberedIds(id, ['e-12'])).toEqual([]);
    expect((await repo.claim(id)).nextOffset).toBe('1');
  });
});
