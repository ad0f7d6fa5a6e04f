import { NodeDefinition, NodeInstance, ProcessorContext, Rec } from './processor';
import { RecordCollector } from './record-collector';
import { KeyValueStore } from './store';
import { TaskError } from './task-model';
import { BranchContext, GraphNode, SinkDefinition } from './topology';

interface Wired {
  node: GraphNode;
  instance?: NodeInstance;
  /** What the instance was created with: a node created again after a rollback gets the same. */
  ctx?: ProcessorContext;
  sink?: SinkDefinition;
  children: Wired[];
}

/** What a task lends the nodes of its graph. */
export interface TaskGraphContext {
  topic: string;
  partition: number;
  stores: ReadonlyMap<string, KeyValueStore>;
  collector: RecordCollector;
  watermark: () => number | null;
  now: () => number;
  onRollback: (undo: () => void) => void;
}

/**
 * The nodes below one source, instantiated for one task (Kafka Streams' ProcessorTopology of a
 * task): records flow from the roots to the sinks, which hand them to the record collector.
 */
export class TaskGraph {
  private roots: Wired[] = [];
  /** Nodes with onWatermark, every parent before its descendants. */
  private readonly stateful: Wired[] = [];

  constructor(
    private readonly nodes: GraphNode[],
    private readonly context: TaskGraphContext,
  ) {
    this.rewire();
  }

  /** Hands a source record to every root. */
  process(rec: Rec): void {
    for (const root of this.roots) this.deliver(root, rec);
  }

  /** Lets stateful nodes close what the watermark passed; their results flow downstream. */
  closeUpTo(watermark: number): void {
    for (const node of this.stateful) node.instance!.onWatermark!(watermark);
  }

  /** Recreates the node instances from the stores, as a restore would. */
  rewire(): void {
    this.stateful.length = 0;
    this.roots = this.nodes.map((n) => this.wire(n));
  }

  /**
   * After a failed step's rollback (`keys`: what it put back, by store): a node with `restored`
   * re-indexes the keys of its own stores and is kept; every other node is created again from the
   * stores, as rewire() would.
   */
  restore(keys: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const root of this.roots) this.restoreNode(root, keys);
  }

  private restoreNode(w: Wired, keys: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const child of w.children) this.restoreNode(child, keys);
    if (!w.instance || !w.ctx) return; // a sink
    const def = w.node.definition as NodeDefinition;
    if (!w.instance.restored) {
      w.instance = def.create(w.ctx);
      return;
    }
    const own = new Map<string, ReadonlySet<string>>();
    for (const store of def.stores) {
      const put = keys.get(store);
      if (put) own.set(store, put);
    }
    if (own.size) w.instance.restored(own);
  }

  private wire(node: GraphNode): Wired {
    const children = node.children.map((c) => this.wire(c));
    const def = node.definition;
    if ('sink' in def) return { node, sink: def.sink, children };
    const wired: Wired = { node, children };
    const task = this.context;
    const ctx: BranchContext = {
      topic: task.topic,
      partition: task.partition,
      store: <S>(name: string) => {
        if (!def.stores.includes(name))
          throw new TaskError(`node ${def.name} did not declare store ${name}`);
        return task.stores.get(name) as KeyValueStore<S>;
      },
      forward: (rec) => {
        for (const child of children) this.deliver(child, rec);
      },
      forwardTo: (child, rec) => {
        const target = children.find((c) => c.node === child);
        if (target) this.deliver(target, rec);
      },
      watermark: task.watermark,
      now: task.now,
      onRollback: task.onRollback,
    };
    wired.ctx = ctx as ProcessorContext;
    wired.instance = def.create(wired.ctx);
    // Children are wired first (post-order); unshift puts every parent before its descendants, so a
    // watermark closes upstream windows before downstream ones see their results.
    if (wired.instance.onWatermark) this.stateful.unshift(wired);
    return wired;
  }

  private deliver(w: Wired, rec: Rec): void {
    if (w.sink) return this.context.collector.collect(w.sink, rec);
    w.instance!.process(rec);
  }
}
