import { FUNNEL_STAGES, FunnelStage } from '@clickstream/contracts';
import { ratio } from '../query/sql';

/** The funnel steps after `none`, in order. */
export const FUNNEL_STEPS = FUNNEL_STAGES.slice(1) as Exclude<FunnelStage, 'none'>[];

export interface FunnelStep {
  stage: Exclude<FunnelStage, 'none'>;
  /** Sessions whose highest stage is this one or a later one: a purchase session reached view too. */
  sessions: number;
  /** sessions / sessions of the previous step (the first step: of all sessions); 0 when that is 0. */
  conversion_from_previous: number;
  /** sessions / all sessions; 0 without sessions. */
  conversion_from_start: number;
}

export interface Funnel {
  sessions: number;
  stages: FunnelStep[];
  /** Sessions that reached purchase / all sessions. */
  conversion_rate: number;
}

/**
 * Turns "sessions per highest stage" into "sessions reaching each stage": a session counts for its
 * own stage and every earlier one. Unknown stage names count as sessions but reach no step.
 */
export function funnelOf(byHighestStage: ReadonlyMap<string, number>): Funnel {
  let total = 0;
  for (const n of byHighestStage.values()) total += n;
  const reached = FUNNEL_STEPS.map((_, i) =>
    FUNNEL_STEPS.slice(i).reduce((n, s) => n + (byHighestStage.get(s) ?? 0), 0),
  );
  const stages = FUNNEL_STEPS.map((stage, i) => ({
    stage,
    sessions: reached[i],
    conversion_from_previous: ratio(reached[i], i === 0 ? total : reached[i - 1]),
    conversion_from_start: ratio(reached[i], total),
  }));
  return { sessions: total, stages, conversion_rate: ratio(reached[reached.length - 1], total) };
}
