import { OutboxPublisher } from './outbox-publisher';
import { ClaimedTask, TaskIdentity, TaskRepository } from './task-repository';

/** A task or global stage that this instance now owns, with its publisher ready. */
export interface OpenedOwnership<T> {
  claimed: ClaimedTask;
  prepared: T;
  publisher: OutboxPublisher;
  /** Outbox messages the previous owner left unpublished, sent now. */
  republished: number;
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
  const claimed = await steps.claim();
  const prepared = await steps.prepare(claimed);
  const publisher = steps.publisher();
  try {
    const from = await publisher.init();
    const republished = await publisher.publish(await steps.repo.pendingOutbox(steps.id, from));
    return { claimed, prepared, publisher, republished };
  } catch (err) {
    await publisher.close();
    throw err;
  }
}
