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
