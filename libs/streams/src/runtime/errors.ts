/** Runtime errors carry a stable code and whether retrying can help (as kafkajs errors do). */
export class StreamsError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Another instance claimed the task: this one must stop committing for it. */
export class TaskFencedError extends StreamsError {
  constructor(taskId: string) {
    super(`task ${taskId} was claimed by another instance`, 'TASK_FENCED', false);
  }
}
