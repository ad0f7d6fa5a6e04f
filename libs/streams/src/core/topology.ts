import { StreamsError } from './errors';
import { DedupeDefinition } from './dedupe';
import { NodeDefinition, ProcessorContext, Rec } from './processor';
import { Serde } from './serde';
import { WindowSpec } from './windows';
import {
  sessionAggregateNode,
  SessionAggregateOptions,
  SessionResult,
} from './operators/session-aggregate';
import {
  windowedAggregateNode,
  WindowedAggregateOptions,
  WindowedResult,
} from './operators/windowed-aggregate';

export interface SourceDefinition<V = unknown> {
  topic: string;
  keySerde: Serde<string>;
  valueSerde: Serde<V>;
  /** Event time of a record, in epoch ms. */
  timestamp: (value: V) => number;
  /** Drop repeats of a record by its idempotency key (see dedupe.ts); none when unset. */
  dedupe?: DedupeDefinition<V>;
}

export interface TopicSinkDefinition<V = unknown> {
  kind: 'topic';
  name: string;
  topic: string;
  /** A sink only serialises, so any serde that accepts the value fits (e.g. `Serdes.json()`). */
  keySerde: Pick<Serde<string>, 'name' | 'serialize'>;
  valueSerde: Pick<Serde<V>, 'name' | 'serialize'>;
  key: (rec: Rec<V>) => string | null;
}

/** Column name -> Postgres type used to cast the multi-row parameter arrays (unnest). */
export type ColumnTypes = Record<
  string,
  | 'text'
  | 'bigint'
  | 'integer'
  | 'double precision'
  | 'numeric'
  | 'boolean'
  | 'timestamptz'
  | 'jsonb'
  | 'bytea'
  | 'text[]'
>;

export interface TableSinkDefinition<V = unknown> {
  kind: 'table';
  name: string;
  table: string;
  columns: ColumnTypes;
  primaryKey: string[];
  /**
   * The row to upsert for this result, or null to delete the row with `deleteKey`. `at` names the
   * task's partition, for tables of per-partition partial results.
   */
  row: (rec: Rec<V>, at: SinkPosition) => Record<string, unknown> | null;
  deleteKey?: (rec: Rec<V>, at: SinkPosition) => Record<string, unknown>;
  /**
   * Optional cheap identity of the row a result writes (within the task). With it, only the last
   * result per row in a commit is turned into a row, at commit time: for sinks updated per event.
   * The result values must then not change after they are forwarded.
   */
  rowKey?: (rec: Rec<V>) => string;
  /**
   * Numeric columns that accumulate: each result's row is then a delta, and rows with the same
   * primary key add up, within a commit and onto the stored row (`c = stored.c + delta.c`; the other
   * columns take the latest value). For counts updated per event without keeping the running count
   * as state: the commit that adds a delta also moves the offset, so each delta lands exactly once.
   * Such a sink cannot delete (no null rows) and takes no rowKey.
   */
  accumulate?: readonly string[];
}

/**
 * The row `next` leaves in a table that holds `prev` for the same primary key: `next` itself, or
 * for an accumulating sink `next` with its accumulate columns added to prev's.
 */
export function mergeTableRow(
  sink: Pick<TableSinkDefinition, 'accumulate'>,
  prev: Record<string, unknown> | null | undefined,
  next: Record<string, unknown>,
): Record<string, unknown> {
  if (!sink.accumulate?.length || !prev) return next;
  const out = { ...next };
  for (const c of sink.accumulate) out[c] = Number(prev[c] ?? 0) + Number(next[c] ?? 0);
  return out;
}

export interface SinkPosition {
  topic: string;
  partition: number;
}

export type SinkDefinition = TopicSinkDefinition | TableSinkDefinition;

export interface GraphNode {
  id: number;
  definition: NodeDefinition | { name: string; stores: []; sink: SinkDefinition };
  children: GraphNode[];
}

export interface Topology {
  readonly applicationId: string;
  readonly sources: Map<string, { definition: SourceDefinition; children: GraphNode[] }>;
  readonly stores: Set<string>;
  readonly sinks: SinkDefinition[];
  describe(): string;
}

/** A topology that cannot run (duplicate names, bad sinks): a programmer error, never retried. */
export class TopologyError extends StreamsError {
  constructor(message: string) {
    super(message, 'TOPOLOGY_INVALID', false);
  }
}

/** Builds a processor's topology: sources with serde, stateless and stateful steps, sinks. */
export class TopologyBuilder {
  private readonly sources = new Map<
    string,
    { definition: SourceDefinition; children: GraphNode[] }
  >();
  private readonly names = new Set<string>();
  private readonly stores = new Set<string>();
  private readonly sinks: SinkDefinition[] = [];
  private nextId = 0;

  constructor(readonly applicationId: string) {}

  stream<V>(topic: string, source: Omit<SourceDefinition<V>, 'topic'>): KStream<V> {
    if (this.sources.has(topic)) throw new TopologyError(`topic ${topic} is already a source`);
    const entry = {
      definition: { topic, ...source } as SourceDefinition,
      children: [] as GraphNode[],
    };
    this.sources.set(topic, entry);
    return new KStream<V>(this, entry.children);
  }

  /** @internal */
  addNode(parent: GraphNode[], definition: GraphNode['definition']): GraphNode {
    if (this.names.has(definition.name))
      throw new TopologyError(`duplicate node name "${definition.name}"`);
    this.names.add(definition.name);
    for (const store of definition.stores) {
      if (this.stores.has(store)) throw new TopologyError(`store "${store}" is declared twice`);
      this.stores.add(store);
    }
    if ('sink' in definition) this.sinks.push(definition.sink);
    const node: GraphNode = { id: this.nextId++, definition, children: [] };
    parent.push(node);
    return node;
  }

  build(): Topology {
    if (this.sources.size === 0) throw new TopologyError('a topology needs at least one source');
    const { applicationId, sources, stores, sinks } = this;
    return {
      applicationId,
      sources,
      stores,
      sinks,
      describe: () => describe(applicationId, sources),
    };
  }
}

function describe(appId: string, sources: Topology['sources']): string {
  const lines = [`topology ${appId}`];
  const walk = (nodes: GraphNode[], depth: number) => {
    for (const n of nodes) {
      const d = n.definition;
      const extra =
        'sink' in d
          ? ` -> ${d.sink.kind === 'topic' ? `topic ${d.sink.topic}` : `table ${d.sink.table}${d.sink.accumulate?.length ? ` (adds ${d.sink.accumulate.join(', ')})` : ''}`}`
          : d.stores.length
            ? ` [stores: ${d.stores.join(', ')}]`
            : '';
      lines.push(`${'  '.repeat(depth)}${d.name}${extra}`);
      walk(n.children, depth + 1);
    }
  };
  for (const [topic, s] of sources) {
    lines.push(
      `  source ${topic} (key ${s.definition.keySerde.name}, value ${s.definition.valueSerde.name})`,
    );
    walk(s.children, 2);
  }
  return lines.join('\n');
}

const stateless = (
  name: string,
  process: (rec: Rec, forward: (r: Rec) => void) => void,
): NodeDefinition => ({
  name,
  stores: [],
  create: (ctx) => ({ process: (rec) => process(rec, (r) => ctx.forward(r)) }),
});

/** A stream of records in a topology under construction. Every step has a name. */
export class KStream<V> {
  constructor(
    private readonly builder: TopologyBuilder,
    private readonly attach: GraphNode[],
  ) {}

  private then<W>(definition: GraphNode['definition']): KStream<W> {
    const node = this.builder.addNode(this.attach, definition);
    return new KStream<W>(this.builder, node.children);
  }

  filter(name: string, predicate: (value: V, rec: Rec<V>) => boolean): KStream<V> {
    return this.then(
      stateless(name, (rec, fwd) => predicate(rec.value as V, rec as Rec<V>) && fwd(rec)),
    );
  }

  map<W>(name: string, fn: (value: V, rec: Rec<V>) => W): KStream<W> {
    return this.then(
      stateless(name, (rec, fwd) => fwd({ ...rec, value: fn(rec.value as V, rec as Rec<V>) })),
    );
  }

  /** Re-keys records (within the task: records are not repartitioned). */
  selectKey(name: string, fn: (value: V, rec: Rec<V>) => string | null): KStream<V> {
    return this.then(
      stateless(name, (rec, fwd) => fwd({ ...rec, key: fn(rec.value as V, rec as Rec<V>) })),
    );
  }

  flatMap<W>(name: string, fn: (value: V, rec: Rec<V>) => Iterable<Rec<W>>): KStream<W> {
    return this.then(
      stateless(name, (rec, fwd) => {
        for (const out of fn(rec.value as V, rec as Rec<V>)) fwd(out);
      }),
    );
  }

  /** One stream per predicate; a record goes to the first predicate it matches. */
  branch(name: string, ...predicates: Array<(value: V, rec: Rec<V>) => boolean>): KStream<V>[] {
    const branches = predicates.map(() => [] as GraphNode[]);
    const branchNodes: GraphNode[] = [];
    const node = this.builder.addNode(this.attach, {
      name,
      stores: [],
      create: (ctx) => ({
        process: (rec) => {
          const i = predicates.findIndex((p) => p(rec.value as V, rec as Rec<V>));
          if (i >= 0) (ctx as BranchContext).forwardTo(branchNodes[i], rec);
        },
      }),
    });
    predicates.forEach((_, i) => {
      const child = this.builder.addNode(
        node.children,
        stateless(`${name}-${i}`, (rec, fwd) => fwd(rec)),
      );
      branchNodes.push(child);
      branches[i] = child.children;
    });
    return branches.map((children) => new KStream<V>(this.builder, children));
  }

  peek(name: string, fn: (value: V, rec: Rec<V>) => void): KStream<V> {
    return this.then(
      stateless(name, (rec, fwd) => {
        fn(rec.value as V, rec as Rec<V>);
        fwd(rec);
      }),
    );
  }

  /** A general stateful step with named stores. */
  process<W>(definition: NodeDefinition): KStream<W> {
    return this.then(definition);
  }

  windowedAggregate<A>(
    name: string,
    options: WindowedAggregateOptions<V, A>,
  ): KStream<WindowedResult<A>> {
    return this.then(windowedAggregateNode(name, options as WindowedAggregateOptions<unknown, A>));
  }

  sessionAggregate<A>(
    name: string,
    options: SessionAggregateOptions<V, A>,
  ): KStream<SessionResult<A>> {
    return this.then(sessionAggregateNode(name, options as SessionAggregateOptions<unknown, A>));
  }

  to(name: string, sink: Omit<TopicSinkDefinition<V>, 'kind' | 'name'>): void {
    this.builder.addNode(this.attach, {
      name,
      stores: [],
      sink: { kind: 'topic', name, ...sink } as SinkDefinition,
    });
  }

  toTable(name: string, sink: Omit<TableSinkDefinition<V>, 'kind' | 'name'>): void {
    checkAccumulate(name, sink);
    this.builder.addNode(this.attach, {
      name,
      stores: [],
      sink: { kind: 'table', name, ...sink } as SinkDefinition,
    });
  }
}

function checkAccumulate<V>(
  name: string,
  sink: Omit<TableSinkDefinition<V>, 'kind' | 'name'>,
): void {
  if (!sink.accumulate?.length) return;
  if (sink.rowKey || sink.deleteKey)
    throw new TopologyError(
      `table sink ${name}: an accumulating sink takes no rowKey or deleteKey`,
    );
  for (const c of sink.accumulate) {
    const type = sink.columns[c];
    if (
      sink.primaryKey.includes(c) ||
      !['bigint', 'integer', 'double precision', 'numeric'].includes(type)
    ) {
      throw new TopologyError(
        `table sink ${name}: accumulate column ${c} must be a numeric non-key column (is ${type ?? 'missing'})`,
      );
    }
  }
}

/** @internal branch nodes forward to one chosen child instead of all. */
export interface BranchContext extends ProcessorContext {
  forwardTo(child: GraphNode, rec: Rec): void;
}

export type { NodeDefinition, NodeInstance, ProcessorContext, Rec } from './processor';
export type { WindowSpec };
