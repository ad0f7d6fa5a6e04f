import { FatalShutdown } from './fatal-shutdown';

describe('FatalShutdown', () => {
  it('runs the installed handler once, with the first error', () => {
    const fatal = new FatalShutdown();
    const seen: Error[] = [];
    fatal.install(async (err) => void seen.push(err));
    const first = new Error('first');
    fatal.trigger(first);
    fatal.trigger(new Error('second'));
    expect(seen).toEqual([first]);
  });

  it('keeps an error raised before the handler is installed, and hands it over then', () => {
    const fatal = new FatalShutdown();
    const early = new Error('early');
    fatal.trigger(early);
    const seen: Error[] = [];
    fatal.install(async (err) => void seen.push(err));
    expect(seen).toEqual([early]);
  });
});
