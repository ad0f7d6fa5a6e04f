/**
 * The tables one process writes and another reads, held against their one description in
 * libs/contracts (SHARED_TABLE_ROWS): the migrated table (information_schema), the TypeORM entity
 * and every table sink writing it must have the contract's columns, types, nullability and primary
 * key; rows the topologies write must read back as the readers' types say. Postgres only, in a
 * database of its own.
 */
import { Pool } from 'pg';
import {
  alertRow,
  fraudUserActivityRow,
  PgColumnType,
  pgTypeName,
  productHourAggregateRow,
  RESULT_ROWS,
  sessionRow,
  SHARED_TABLE_ROWS,
  sinkDrift,
  tableDrift,
  TableLayout,
  TableRowContract,
  topicNames,
  windowAggregateRow,
} from '@clickstream/contracts';
import { entityLayout, CONTRACT_ENTITIES } from '@clickstream/platform';
import { TableSinkDefinition, Topology } from '@clickstream/streams';
import { TopologyTestDriver } from '@clickstream/streams/testing';
import { aggregatorTopology } from '../../../services/aggregator/src/windows/aggregator.topology';
import { fraudTopology } from '../../../services/fraud-detector/src/fraud/fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import {
  clickEvent,
  fraudDriver,
  pipeEvents,
  T0,
} from '../../../services/fraud-detector/test/fraud-fixtures';
import {
  AlertsRepository,
  toAlertItem,
} from '../../../services/metrics/src/alerts/alerts.repository';
import {
  SessionsRepository,
  toSessionItem,
} from '../../../services/metrics/src/sessions/sessions.repository';
import { sessionizerTopology } from '../../../services/sessionizer/src/sessions/sessionizer.topology';
import { createMigratedDatabase } from '../../support/postgres';

const MIN = 60_000;
const topics = topicNames('');

const TOPOLOGIES: Topology[] = [
  sessionizerTopology({ topics, gapMs: 30 * MIN, maxDurationMs: 24 * 60 * MIN }),
  aggregatorTopology({ topics, windowSizesMs: [MIN, 5 * MIN, 60 * MIN] }),
  fraudTopology({ topics, cfg: DEFAULT_FRAUD_CONFIG }),
];

const tableSinks = (table: string) =>
  TOPOLOGIES.flatMap((t) => t.sinks).filter(
    (s): s is TableSinkDefinition => s.kind === 'table' && s.table === table,
  );

/** The table as the migrations left it, in the contracts' spelling. */
async function migratedLayout(pool: Pool, table: string): Promise<TableLayout> {
  const { rows } = await pool.query<{
    column_name: string;
    data_type: string;
    udt_name: string;
    is_nullable: 'YES' | 'NO';
    numeric_precision: number | null;
    numeric_scale: number | null;
  }>(
    `SELECT column_name, data_type, udt_name, is_nullable, numeric_precision, numeric_scale
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  const key = await pool.query<{ column_name: string }>(
    `SELECT k.column_name
       FROM information_schema.table_constraints c
       JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name, table_name)
      WHERE c.table_schema = 'public' AND c.table_name = $1 AND c.constraint_type = 'PRIMARY KEY'
      ORDER BY k.ordinal_position`,
    [table],
  );
  const columns = rows.map((r) => ({
    name: r.column_name,
    // Arrays are data_type ARRAY with udt_name `_<element>`.
    type:
      r.data_type === 'ARRAY'
        ? pgTypeName(r.udt_name.slice(1), { array: true })
        : pgTypeName(r.data_type, { precision: r.numeric_precision, scale: r.numeric_scale }),
    nullable: r.is_nullable === 'YES',
  }));
  return { columns, primaryKey: key.rows.map((r) => r.column_name) };
}

/** A parameterised INSERT of contract rows, cast as the table sinks cast them. */
async function insertRows(
  pool: Pool,
  contract: TableRowContract,
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  const columns = Object.entries(contract.columnTypes);
  const sql = `INSERT INTO ${contract.table} (${columns.map(([name]) => name).join(', ')})
               VALUES (${columns.map(([, type], i) => `$${i + 1}::${type}`).join(', ')})`;
  for (const row of rows)
    await pool.query(
      sql,
      columns.map(([name, type]) => (type === 'jsonb' ? JSON.stringify(row[name]) : row[name])),
    );
}

/** The JS kind SelectedRow<contract> promises per column type (node-postgres' default parsers). */
const SELECTED_KIND: Record<PgColumnType, string> = {
  text: 'string',
  bigint: 'string',
  integer: 'number',
  'double precision': 'number',
  numeric: 'string',
  boolean: 'boolean',
  timestamptz: 'Date',
  jsonb: 'object',
  'text[]': 'array',
};
const kindOf = (value: unknown) =>
  value === null
    ? 'null'
    : value instanceof Date
      ? 'Date'
      : Array.isArray(value)
        ? 'array'
        : typeof value;

/** Rows the writers' topologies produce from a little traffic, per table. */
function writtenRows(): Map<string, Array<Record<string, unknown>>> {
  const events = [
    clickEvent('u1', T0, { event_type: 'view', product_id: 'p1', client_session_id: 'c1' }),
    clickEvent('u1', T0 + MIN, { event_type: 'cart', product_id: 'p1' }),
    clickEvent('u1', T0 + 2 * MIN, {
      event_type: 'purchase',
      product_id: 'p1',
      price: 19.99,
      quantity: 3,
    }),
    clickEvent('u2', T0 + 3 * MIN, { event_type: 'page_view' }),
  ];
  const sessions = new TopologyTestDriver(TOPOLOGIES[0], { allowedLatenessMs: 2 * MIN });
  const aggregates = new TopologyTestDriver(TOPOLOGIES[1], {
    allowedLatenessMs: 2 * MIN,
    partitions: 2,
  });
  for (const d of [sessions, aggregates])
    for (const e of events) d.pipe(topics.events, e.user_id, e);
  sessions.pipe(topics.events, 'clock', clickEvent('clock', T0 + 24 * 60 * MIN)); // closes u1's and u2's sessions
  const fraud = fraudDriver();
  pipeEvents(
    fraud,
    Array.from({ length: 51 }, (_, i) => clickEvent('flood', T0 + i * 100)),
  );
  return new Map([
    [sessionRow.table, sessions.readTable(sessionRow.table)],
    [windowAggregateRow.table, aggregates.readTable(windowAggregateRow.table)],
    [productHourAggregateRow.table, aggregates.readTable(productHourAggregateRow.table)],
    [alertRow.table, fraud.readTable(alertRow.table)],
    [fraudUserActivityRow.table, fraud.readTable(fraudUserActivityRow.table)],
  ]);
}

describe('result rows: contract, migrated table, TypeORM entity and table sinks', () => {
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  const written = writtenRows();

  beforeAll(async () => {
    db = await createMigratedDatabase('clickstream_test_result_rows');
    for (const contract of RESULT_ROWS)
      await insertRows(db.pool, contract, written.get(contract.table)!);
  });

  afterAll(() => db?.drop());

  it.each(SHARED_TABLE_ROWS.map((c) => [c.table, c] as const))(
    '%s: every copy has the contract’s columns, types, nullability and primary key',
    async (table, contract) => {
      const entity = CONTRACT_ENTITIES.find(([c]) => c === contract)![1];
      const sinks = tableSinks(table);
      // Result rows are written by table sinks; the other shared tables by a stage's or an API's SQL.
      expect(sinks.length > 0).toBe(RESULT_ROWS.includes(contract));
      const drift = [
        ...tableDrift(contract, await migratedLayout(db.pool, table), 'the migrated table'),
        ...tableDrift(contract, entityLayout(entity), `the TypeORM entity ${entity.options.name}`),
        ...sinks.flatMap((sink) => sinkDrift(contract, sink)),
      ];
      expect(drift).toEqual([]);
    },
  );

  it.each(RESULT_ROWS.map((c) => [c.table, c] as const))(
    '%s: the writer’s rows parse with the contract and read back as SelectedRow says',
    async (table, contract) => {
      const rows = written.get(table)!;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(contract.schema.parse(row)).toEqual(row);
      const { rows: stored } = await db.pool.query<Record<string, unknown>>(
        `SELECT * FROM ${table}`,
      );
      expect(stored).toHaveLength(rows.length);
      const nullable = new Set(
        contract.layout.columns.filter((c) => c.nullable).map((c) => c.name),
      );
      const columns = Object.entries(contract.columnTypes);
      for (const row of stored) {
        const kinds = columns.map(([name]) => [name, kindOf(row[name])]);
        const promised = columns.map(([name, type]) => [
          name,
          row[name] === null && nullable.has(name) ? 'null' : SELECTED_KIND[type],
        ]);
        expect(kinds).toEqual(promised);
      }
    },
  );

  it('the metrics API serves sessions and alerts exactly as the writers wrote them', async () => {
    const byId =
      <T>(key: keyof T) =>
      (a: T, b: T) =>
        String(a[key]).localeCompare(String(b[key]));
    const sessions = (await new SessionsRepository(db.pool).list({ limit: 100 })).map(
      toSessionItem,
    );
    expect(sessions.sort(byId('session_id'))).toEqual(
      [...written.get(sessionRow.table)!].sort(byId('session_id')),
    );
    const alerts = (await new AlertsRepository(db.pool).list({ limit: 100 })).map(toAlertItem);
    expect(alerts.sort(byId('alert_id'))).toEqual(
      [...written.get(alertRow.table)!].sort(byId('alert_id')),
    );
  });
});
