import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { serviceArgv, serviceMain, serviceNodeOptions } from './service-launch';

const SERVICES = ['ingest', 'sessionizer', 'aggregator', 'fraud-detector', 'metrics'];
const scripts: Record<string, string> = JSON.parse(
  readFileSync(resolve(__dirname, '../../package.json'), 'utf8'),
).scripts;

describe('service launch', () => {
  it.each(SERVICES)(
    '`npm run start:%s` starts node with the flags its service.ts declares',
    (name) => {
      const flags = serviceNodeOptions(name);
      expect(scripts[`start:${name}`]).toBe(
        ['node', ...flags, `dist/services/${name}/src/main.js`].join(' '),
      );
    },
  );

  it('gives the processors and ingest a larger young generation, and metrics none', () => {
    for (const name of ['ingest', 'sessionizer', 'aggregator', 'fraud-detector'])
      expect(serviceNodeOptions(name)).toEqual(['--max-semi-space-size=64']);
    expect(serviceNodeOptions('metrics')).toEqual([]);
  });

  it('puts extra flags after the service own and before its entry point', () => {
    expect(serviceArgv('sessionizer', ['--cpu-prof'])).toEqual([
      '--max-semi-space-size=64',
      '--cpu-prof',
      serviceMain('sessionizer'),
    ]);
    expect(serviceMain('metrics')).toBe(
      resolve(__dirname, '../../dist/services/metrics/src/main.js'),
    );
  });

  it('refuses a service it does not know, by name', () => {
    expect(() => serviceArgv('sessionizr')).toThrow('unknown service "sessionizr"');
  });
});
