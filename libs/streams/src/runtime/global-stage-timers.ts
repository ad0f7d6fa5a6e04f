import { GlobalStage, GlobalStageDeps, GlobalStageRunner } from './global-stage';

/**
 * An app's global stages, each ticked on its own interval. A stage runs only on the instance that
 * owns partition 0 of its topic (`owns`), so exactly one instance drives it at a time.
 */
export class GlobalStageTimers {
  private readonly runners: GlobalStageRunner[] = [];
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly stages: readonly GlobalStage[],
    private readonly appId: string,
  ) {}

  /** The Postgres group ids of the stages driven by `topic`. */
  groups(topic: string): string[] {
    return this.stages.filter((s) => s.topic === topic).map((s) => `${this.appId}#${s.name}`);
  }

  start(deps: GlobalStageDeps, owns: (stage: GlobalStage) => boolean): void {
    for (const stage of this.stages) {
      const runner = new GlobalStageRunner(stage, deps);
      this.runners.push(runner);
      const timer = setInterval(() => void runner.tick(owns(stage)), stage.intervalMs ?? 1000);
      timer.unref();
      this.timers.push(timer);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.runners.map((runner) => runner.close()));
  }
}
