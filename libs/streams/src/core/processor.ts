import { KeyValueStore } from './store';

/** A record inside a topology: key, value and event time. */
export interface Rec<V = unknown> {
  key: string | null;
  value: V;
  timestamp: number;
}

/** What a stateful node may touch; one context per node per task. */
export interface ProcessorContext {
  readonly topic: string;
  readonly partition: number;
  store<S = unknown>(name: string): KeyValueStore<S>;
  forward(rec: Rec): void;
  /** This partition's watermark (null before the first record). */
  watermark(): number | null;
  /** Wall-clock ms (the test driver controls it). */
  now(): number;
  /**
   * For a node that changes a stored value in place (instead of putting a new one): `undo` puts it
   * back. Undos run newest first, with the store writes, when the record or watermark step fails;
   * they are dropped when it succeeds.
   */
  onRollback(undo: () => void): void;
}

export interface NodeInstance {
  process(rec: Rec): void;
  /** Called whenever the partition's watermark advances (closes windows and sessions). */
  onWatermark?(watermark: number): void;
  /**
   * After a failed record or watermark step was rolled back: the keys of the node's stores whose
   * values were put back (store name → keys). A node that implements it brings its in-memory
   * indexes in line for those keys and keeps its instance: every other key's value is as the node
   * left it. A node without it is created again, which reads every key of its stores (a decode
   * each, tens of ms per failure for a task with thousands of open sessions or users).
   */
  restored?(keys: ReadonlyMap<string, ReadonlySet<string>>): void;
}

export interface NodeDefinition {
  name: string;
  stores: string[];
  create(ctx: ProcessorContext): NodeInstance;
}
