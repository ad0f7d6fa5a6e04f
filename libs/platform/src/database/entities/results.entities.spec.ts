import { tableDrift } from '@clickstream/contracts';
import { entityLayout } from './entity-layout';
import { CONTRACT_ENTITIES } from './results.entities';

describe('the shared tables’ entities and their contracts (libs/contracts SHARED_TABLE_ROWS)', () => {
  it.each(
    CONTRACT_ENTITIES.map(
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
    const [, alerts] = CONTRACT_ENTITIES[3];
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
