import { tableDrift } from '@clickstream/contracts';
import { entityLayout, RESULT_ROW_ENTITIES } from './entity-layout';

describe('result-row entities and the contracts (libs/contracts result-rows.ts)', () => {
  it.each(
    RESULT_ROW_ENTITIES.map(
      ([contract, entity]) => [contract.table, entity.options.name, contract, entity] as const,
    ),
  )(
    '%s: %s declares the contract’s columns, types, nullability and primary key',
    (table, name, contract, entity) => {
      const layout = entityLayout(entity);
      expect(layout.table).toBe(table);
      expect(tableDrift(contract, layout, `the TypeORM entity ${name}`)).toEqual([]);
    },
  );

  it('reads an entity as its schema options declare it', () => {
    const [, alerts] = RESULT_ROW_ENTITIES[3];
    const layout = entityLayout(alerts);
    expect(layout.primaryKey).toEqual(['alert_id']);
    expect(layout.columns.find((c) => c.name === 'user_id')).toEqual({
      name: 'user_id',
      type: 'text',
      nullable: true,
    });
    expect(layout.columns.find((c) => c.name === 'window_start')).toEqual({
      name: 'window_start',
      type: 'timestamptz',
      nullable: false,
    });
  });
});
