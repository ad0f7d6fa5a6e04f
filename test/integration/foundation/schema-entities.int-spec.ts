import { createDataSource } from '../../../libs/platform/src/database/data-source';

describe('TypeORM entities and migrations describe the same schema', () => {
  it('schema sync against the migrated database has nothing to do', async () => {
    const ds = createDataSource(process.env.DATABASE_URL!, 1);
    await ds.initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });
});
