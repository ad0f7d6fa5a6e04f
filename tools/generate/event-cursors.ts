/**
 * Emission: each period's events come from cursors (one per active normal user, one for the
 * injected events, one for the spike minute), merged in (time, cursor order) so the stream is in
 * event-time order and the same options always give the same sequence.
 */
import { ClickEventInput, formatEventTime } from '@clickstream/contracts';
import { clickEvent } from './event-output';
import { TimeOrdered, timeOrderedHeap, Timed } from './event-order';
import { InjectedEvent } from './fraud-events';
import { SpikePlan } from './fraud-planting';
import { MINUTE, TAG } from './generator-constants';
import { ResolvedConfig } from './generator-options';
import { PeriodPlan, PeriodPlanner } from './period-plan';
import { hash32, Rng } from './prng';
import { GlobalMinuteRules } from './rules';
import { UserSimulation } from './user-behaviour';
import { drawGap, Layout, layoutUser, virtualToReal } from './user-layout';

/** Mutable state of one pass over the stream. */
export class StreamPass {
  /** Per-minute counts for traffic_spike / traffic_drop, as emitted. */
  readonly oracle: GlobalMinuteRules;
  readonly users: UserSimulation;
  emitted = 0;

  constructor(readonly cfg: ResolvedConfig) {
    this.oracle = new GlobalMinuteRules(cfg.th);
    this.users = new UserSimulation(cfg);
  }
}

/** The stream in event-time order, period by period; event ids count up from 0 in that order. */
export function* orderedEvents(
  planner: PeriodPlanner,
  pass: StreamPass,
): Generator<Timed, void, undefined> {
  for (let index = 0; index < planner.periods.length; index++) {
    const plan = planner.planPeriod(index);
    const cursors: Cursor[] = [];
    for (let i = 0; i < plan.users.length; i++) {
      if (plan.counts[i] > 0) cursors.push(new NormalCursor(pass, plan, i));
    }
    const injected = planner.injectedIn(index);
    if (injected?.length) cursors.push(new InjectedCursor(injected));
    const spike = planner.spikeIn(plan.span);
    if (spike && plan.users.length > 0) cursors.push(new SpikeCursor(pass, spike, plan));
    // Equal times: the spike first, then the injected events, then normal users by their index.
    const heap = timeOrderedHeap<Cursor>();
    for (const cursor of cursors) heap.push(cursor);
    while (heap.size > 0) {
      const cursor = heap.peek()!;
      const eventTime = cursor.t;
      const id = `gen-${pass.cfg.seed}-${pass.emitted}`;
      pass.emitted++;
      pass.oracle.add(eventTime);
      yield { t: eventTime, event: cursor.build(id, formatEventTime(eventTime)) };
      if (cursor.advance()) heap.replaceTop();
      else heap.pop();
    }
  }
}

interface Cursor extends TimeOrdered {
  /** Time of the next event (`order` breaks ties). */
  t: number;
  build(id: string, time: string): ClickEventInput;
  /** Moves to the next event; false when there is none. */
  advance(): boolean;
}

/** One active normal user's events in a period, generated lazily in time order. */
class NormalCursor implements Cursor {
  t = 0;
  readonly order: number;
  private readonly rng = new Rng(0);
  private readonly userIndex: number;
  private readonly count: number;
  private readonly offset: number;
  private readonly gapMin: number;
  private readonly layout: Layout;
  /** The current event (in layout order) and its virtual distance from the user's offset. */
  private index = 0;
  private position = 0;
  /** Events past the wrap come first: they fall at the start of the period. */
  private wrapped: boolean;

  constructor(
    private readonly pass: StreamPass,
    private readonly plan: PeriodPlan,
    activeIndex: number,
  ) {
    const cfg = pass.cfg;
    this.order = activeIndex;
    this.userIndex = plan.users[activeIndex];
    this.count = plan.counts[activeIndex];
    this.offset = plan.offsets[activeIndex];
    this.gapMin = cfg.gapMinV;
    this.layout = layoutUser(
      this.count,
      plan.virtualLength,
      this.offset,
      cfg.gapMinV,
      hash32(cfg.seed, TAG.layout, plan.span.start, this.userIndex),
    );
    this.wrapped = this.layout.wrapIndex < this.count;
    if (this.wrapped) {
      this.index = this.layout.wrapIndex;
      this.position = this.layout.wrapOffset;
      this.rng.state = this.layout.wrapState;
    } else {
      this.rng.state = this.layout.startState;
    }
    this.setTime();
  }

  build(id: string, time: string): ClickEventInput {
    return this.pass.users.event(this.userIndex, this.plan.span.start, this.t, id, time);
  }

  advance(): boolean {
    if (this.wrapped) {
      if (this.index < this.count - 1) {
        this.position += this.gap(this.index);
        this.index++;
      } else if (this.layout.wrapIndex > 0) {
        // Back to the first event, which follows the wrapped ones in time.
        this.wrapped = false;
        this.rng.state = this.layout.startState;
        this.index = 0;
        this.position = 0;
      } else return false;
    } else {
      if (this.index + 1 >= this.layout.wrapIndex) return false;
      this.position += this.gap(this.index);
      this.index++;
    }
    this.setTime();
    return true;
  }

  /** The gap after event `index`, drawn again exactly as layoutUser drew it. */
  private gap(index: number): number {
    const layout = this.layout;
    if (layout.twoVisits && index === layout.split - 1) return layout.visitGap;
    return this.gapMin + (drawGap(this.rng, this.gapMin) - this.gapMin) * layout.squeeze;
  }

  private setTime(): void {
    const virtual = this.wrapped
      ? this.offset + this.position - this.plan.virtualLength
      : this.offset + this.position;
    this.t = virtualToReal(this.plan.segments, virtual);
  }
}

class InjectedCursor implements Cursor {
  t: number;
  readonly order = -1;
  private index = 0;

  constructor(private readonly events: InjectedEvent[]) {
    this.t = events[0].t;
  }

  build(id: string, time: string): ClickEventInput {
    return clickEvent(this.events[this.index], id, time);
  }

  advance(): boolean {
    if (++this.index >= this.events.length) return false;
    this.t = this.events[this.index].t;
    return true;
  }
}

/**
 * The spike minute's extra events, evenly spread over the minute, given round-robin to the period's
 * active normal users (event j to user j mod M), so each gets at most `perUser`, ≥ 60 s / perUser apart.
 */
class SpikeCursor implements Cursor {
  t: number;
  readonly order = -2;
  private index = 0;

  constructor(
    private readonly pass: StreamPass,
    private readonly spike: SpikePlan,
    private readonly plan: PeriodPlan,
  ) {
    this.t = this.timeOf(0);
  }

  private timeOf(index: number): number {
    return this.spike.minute + Math.floor(((index + 0.5) * MINUTE) / this.spike.extra);
  }

  build(id: string, time: string): ClickEventInput {
    const user = this.plan.users[this.index % this.plan.users.length];
    return this.pass.users.event(user, this.plan.span.start, this.t, id, time);
  }

  advance(): boolean {
    if (++this.index >= this.spike.extra) return false;
    this.t = this.timeOf(this.index);
    return true;
  }
}
