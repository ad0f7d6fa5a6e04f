import { OutboxPublisher } from './outbox-publisher';
import { ClaimedTask, TaskIdentity, TaskRepository } from './task-repository';

/** A task or global stage that this instance now owns, with its publisher ready. */
export interface OpenedOwnership<T> {
  claimed: ClaimedTask;
  prepared: T;
  publisher: OutboxPublisher;
  /** Outbox messages the previous owner left unpublished, sent now. */
  republished: number;
  /** Where the open's time went (ms): the claim with its state read, prepare, fence, republish. */
  phasesMs: { claim: number; prepare: number; fence: number; republish: number };
}

/**
 * The one claim sequence of tasks and global stages: take ownership in Postgres (bumping the epoch
 * fences the previous owner's commits), prepare what runs on the claimed state, then init the
 * transactional publisher (fencing the previous owner's producer) and publish what it left in the
 * outbox, so nothing committed is lost and nothing is sent twice. A failure closes the publisher.
 */
export async function claimOwnership<T>(steps: {
  repo: TaskRepository;
  id: TaskIdentity;
  claim: () => Promise<ClaimedTask>;
  prepare: (claimed: ClaimedTask) => Promise<T> | T;
  publisher: () => OutboxPublisher;
}): Promise<OpenedOwnership<T>> {
  const since = lap();
  const claimed = await steps.claim();
  const claim = since();
  const prepared = await steps.prepare(claimed);
  const prepare = since();
  const publisher = steps.publisher();
  try {
    const from = await publisher.init();
    const fence = since();
    const republished = await publisher.publish(await steps.repo.pendingOutbox(steps.id, from));
    const phasesMs = { claim, prepare, fence, republish: since() };
    return { claimed, prepared, publisher, republished, phasesMs };
  } catch (err) {
    await publisher.close();
    throw err;
  }
}

/** A stopwatch: each call gives the whole ms since the previous call (or since it was made). */
function lap(): () => number {
  let last = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    const ms = Math.round(Number(now - last) / 1e6);
    last = now;
    return ms;
  };
}
