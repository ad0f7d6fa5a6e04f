import { InstanceFencedError } from '@clickstream/streams';
import { FatalShutdown } from '../lifecycle/fatal-shutdown';
import { thenEndService } from './processor-streams.module';

describe('thenEndService', () => {
  const fenced = () => new InstanceFencedError('sessionizer', 'pod-0', new Error('fenced'));

  function setup() {
    const fatal = new FatalShutdown();
    const ended: Error[] = [];
    fatal.install(async (error) => void ended.push(error));
    const logged: Array<{ context: Record<string, unknown>; msg: string }> = [];
    const logger = {
      error: (context: Record<string, unknown>, msg: string) => logged.push({ context, msg }),
    };
    return { fatal, ended, logged, logger };
  }

  it("runs the processor's own onFatal first, then ends the service with the same error", () => {
    const { fatal, ended, logger } = setup();
    const calls: string[] = [];
    const onFatal = thenEndService((error) => calls.push(`own: ${error.code}`), fatal, logger);
    const error = fenced();
    onFatal(error);
    expect(calls).toEqual(['own: INSTANCE_FENCED']);
    expect(ended).toEqual([error]);
  });

  it("ends the service when the processor's hook throws, and logs the hook's failure", () => {
    const { fatal, ended, logged, logger } = setup();
    const onFatal = thenEndService(
      () => {
        throw new Error('hook broke');
      },
      fatal,
      logger,
    );
    const error = fenced();
    onFatal(error);
    expect(ended).toEqual([error]);
    expect(logged).toHaveLength(1);
    expect(logged[0].msg).toBe('processor fatal hook failed');
    expect((logged[0].context.err as Error).message).toBe('hook broke');
    expect(logged[0].context.fatal).toBe(error.message);
  });

  it('ends the service when the processor set no hook', () => {
    const { fatal, ended, logged, logger } = setup();
    const error = fenced();
    thenEndService(undefined, fatal, logger)(error);
    expect(ended).toEqual([error]);
    expect(logged).toEqual([]);
  });
});
