import { StreamsError } from '../core/errors';

/** Another instance claimed the task: this one must stop committing for it. */
export class TaskFencedError extends StreamsError {
  constructor(taskId: string) {
    super(`task ${taskId} was claimed by another instance`, 'TASK_FENCED', false);
  }
}

/**
 * A global stage finalised results past records this commit accepted (the partition was idle or
 * empty and left out of the global watermark): the task is rebuilt with its watermark raised to
 * the stage's, so those records become late instead of changing final results.
 */
export class WatermarkFloorMovedError extends StreamsError {
  constructor(taskId: string) {
    super(
      `task ${taskId} accepted records behind the global watermark a stage finalised at`,
      'WATERMARK_FLOOR_MOVED',
      true,
    );
  }
}

/**
 * Another group member registered with this instance's group instance id (static membership,
 * KIP-345): the broker fenced this one. Fatal, as in Kafka's own clients: rejoining would fence
 * the other in turn, and the two would take the partitions from each other without end.
 */
export class InstanceFencedError extends StreamsError {
  constructor(processor: string, groupInstanceId: string | undefined, cause: unknown) {
    super(
      `processor ${processor}: another member joined the group with the group instance id ${JSON.stringify(groupInstanceId ?? null)}; this one stops (each instance needs its own id)`,
      'INSTANCE_FENCED',
      false,
      { cause },
    );
  }
}

/** Whether kafkajs reported FENCED_INSTANCE_ID, on the error or anywhere in its causes. */
export function isInstanceFenced(err: unknown): boolean {
  for (
    let e = err as { type?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 8;
    depth++
  ) {
    if (e.type === 'FENCED_INSTANCE_ID') return true;
    e = e.cause as typeof e;
  }
  return false;
}
