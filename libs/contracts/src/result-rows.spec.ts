import { z } from 'zod';
import { fraudAlertSchema } from './alert.schema';
import {
  alertRow,
  RESULT_ROWS,
  sessionRow,
  SessionRow,
  SHARED_TABLE_ROWS,
  windowAggregateRow,
} from './result-rows';
import { PgColumnType, pgTypeName, sinkDrift, tableDrift, TableRowContract } from './table-row';

/** The JSON types a column's value may take, by the column's Postgres type. */
const JSON_TYPES: Record<PgColumnType, string[]> = {
  text: ['string'],
  bigint: ['integer'],
  integer: ['integer'],
  'double precision': ['number', 'integer'],
  // Exact decimals travel as numbers (sessions) or as decimal text (the aggregator's partials).
  numeric: ['number', 'string'],
  boolean: ['boolean'],
  timestamptz: ['string'],
  jsonb: ['object'],
  'text[]': ['array'],
};

interface JsonSchema {
  type?: string;
  anyOf?: JsonSchema[];
  format?: string;
}

const nonNullTypes = (s: JsonSchema): string[] =>
  s.anyOf ? s.anyOf.flatMap(nonNullTypes) : s.type && s.type !== 'null' ? [s.type] : [];

const SESSION: SessionRow = {
  session_id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  user_id: 'u1',
  started_at: '2019-10-01T00:00:00.000Z',
  last_event_at: '2019-10-01T00:05:00.000Z',
  duration_s: 300,
  event_count: 3,
  event_counts: { view: 2, purchase: 1 },
  revenue: 12.5,
  funnel_stage: 'purchase',
  converted: true,
  bounced: false,
  client_session_ids: ['c1'],
  status: 'closed',
  closed_at: '2019-10-01T00:35:00.000Z',
};

describe.each(SHARED_TABLE_ROWS.map((c) => [c.table, c] as const))(
  'result row contract of %s',
  (_table, contract: TableRowContract) => {
    const properties = (
      z.toJSONSchema(contract.schema) as { properties: Record<string, JsonSchema> }
    ).properties;

    it.each(Object.entries(contract.columnTypes))(
      'column %s: its zod value fits its Postgres type (%s)',
      (name, type) => {
        const types = nonNullTypes(properties[name]);
        expect(types.length).toBeGreaterThan(0);
        for (const t of types) expect(JSON_TYPES[type]).toContain(t);
        if (type === 'timestamptz') expect(nonNullTypes(properties[name])).toEqual(['string']);
      },
    );

    it('has a primary key of written, NOT NULL columns', () => {
      const byName = new Map(contract.layout.columns.map((c) => [c.name, c]));
      expect(contract.primaryKey.length).toBeGreaterThan(0);
      for (const name of contract.primaryKey) {
        expect(Object.keys(contract.columnTypes)).toContain(name);
        expect(byName.get(name)?.nullable).toBe(false);
      }
    });

    it('agrees with itself: no drift against its own layout', () => {
      expect(tableDrift(contract, contract.layout, 'itself')).toEqual([]);
    });
  },
);

describe('result row contracts', () => {
  it('accept a row as written and refuse a missing or an extra column', () => {
    expect(sessionRow.schema.parse(SESSION)).toEqual(SESSION);
    const { closed_at: _dropped, ...missing } = SESSION;
    expect(sessionRow.schema.safeParse(missing).success).toBe(false);
    expect(sessionRow.schema.safeParse({ ...SESSION, extra: 1 }).success).toBe(false);
  });

  it('derive nullability from the zod value: closed_at and an alert’s user_id may be null', () => {
    const nullable = RESULT_ROWS.flatMap((c) =>
      c.layout.columns.filter((col) => col.nullable).map((col) => `${c.table}.${col.name}`),
    );
    expect(nullable).toEqual(['sessions.closed_at', 'alerts.user_id']);
  });

  it('list database-filled columns in the table, not in the row', () => {
    expect(windowAggregateRow.layout.columns.at(-1)).toEqual({
      name: 'updated_at',
      type: 'timestamptz',
      nullable: false,
    });
    expect(Object.keys(windowAggregateRow.columnTypes)).not.toContain('updated_at');
  });

  it('store an alert exactly as it is published', () => {
    expect(Object.keys(alertRow.columnTypes)).toEqual(Object.keys(fraudAlertSchema.shape));
    const published = z.toJSONSchema(fraudAlertSchema) as {
      properties: Record<string, Record<string, unknown>>;
    };
    const stored = z.toJSONSchema(alertRow.schema) as {
      properties: Record<string, Record<string, unknown>>;
    };
    for (const [name, schema] of Object.entries(published.properties)) {
      const { 'x-postgres-type': _type, ...rest } = stored.properties[name];
      expect([name, rest]).toEqual([name, schema]);
    }
  });
});

describe('tableDrift', () => {
  const columns = sessionRow.layout.columns;
  const found = (change: (c: (typeof columns)[number]) => object | null) => ({
    columns: columns.flatMap((c) => {
      const changed = change(c);
      return changed === null ? [] : [{ ...c, ...changed }];
    }),
    primaryKey: ['session_id'],
  });

  it('names table and column of a type, nullability, missing or extra column', () => {
    expect(
      tableDrift(
        sessionRow,
        found((c) => (c.name === 'revenue' ? { type: 'text' } : {})),
        'the entity',
      ),
    ).toEqual(['sessions.revenue: numeric(38,2) in the contract, text in the entity']);
    expect(
      tableDrift(
        sessionRow,
        found((c) => (c.name === 'closed_at' ? { nullable: false } : {})),
        'the table',
      ),
    ).toEqual(['sessions.closed_at: nullable in the contract, NOT NULL in the table']);
    expect(
      tableDrift(
        sessionRow,
        found((c) => (c.name === 'bounced' ? { name: 'bounce' } : {})),
        'the table',
      ),
    ).toEqual([
      'sessions.bounced: in the contract, missing in the table',
      'sessions.bounce: in the table, not in the contract',
    ]);
  });

  it('compares the primary key in order', () => {
    expect(
      tableDrift(
        sessionRow,
        { ...sessionRow.layout, primaryKey: ['session_id', 'user_id'] },
        'the table',
      ),
    ).toEqual([
      'sessions primary key: (session_id) in the contract, (session_id, user_id) in the table',
    ]);
  });

  it('compares a sink by the written columns, its plain numeric cast and no nullability', () => {
    const sink = {
      columns: Object.entries(windowAggregateRow.columnTypes).map(([name, type]) => ({
        name,
        type,
      })),
      primaryKey: windowAggregateRow.primaryKey,
    };
    expect(tableDrift(windowAggregateRow, sink, 'the sink', { writtenOnly: true })).toEqual([]);
    expect(tableDrift(windowAggregateRow, sink, 'the sink')).toEqual([
      'window_aggregates.updated_at: in the contract, missing in the sink',
    ]);
    const written = {
      name: 'w',
      columns: { ...windowAggregateRow.columnTypes, revenue: 'text' },
      primaryKey: ['window_size'],
    };
    expect(sinkDrift(windowAggregateRow, written)).toEqual([
      'window_aggregates.revenue: numeric(38,2) in the contract, text in the table sink w',
      'window_aggregates primary key: (window_size, dimension, window_start, partition) in the contract, (window_size) in the table sink w',
    ]);
  });
});

describe('pgTypeName', () => {
  it('spells information_schema and TypeORM types as the contract does', () => {
    expect(pgTypeName('timestamp with time zone')).toBe('timestamptz');
    expect(pgTypeName('text', { array: true })).toBe('text[]');
    expect(pgTypeName('numeric', { precision: 38, scale: 2 })).toBe('numeric(38,2)');
    expect(pgTypeName('numeric')).toBe('numeric');
    expect(pgTypeName('double precision', { precision: 53 })).toBe('double precision');
  });
});
