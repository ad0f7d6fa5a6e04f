/**
 * docker-compose.yml's defaults are safe outside localhost: ports on 127.0.0.1 unless the user says
 * otherwise, secrets only from .env (compose refuses to start without them), resource limits and
 * log rotation on every service.
 */
import {
  ComposeFile,
  ComposeService,
  envOf,
  interpolateDeep,
  memoryBytes,
  missingVariables,
  publishedPorts,
} from './compose-file';
import {
  compose,
  exampleEnv,
  INFRA_PORT_SERVICES,
  LOOPBACK,
  raw,
  readRepoFile,
  REQUIRED_SECRETS,
} from './compose-project';

const rawEnv = (name: string) => envOf(raw.services[name]);

describe('docker-compose.yml defaults', () => {
  const hostIps = (file: ComposeFile) =>
    Object.entries(file.services).flatMap(([name, svc]) =>
      publishedPorts(svc).map((port) => ({ name, port: port.hostPort, hostIp: port.hostIp })),
    );
  const secretsSet = Object.fromEntries(REQUIRED_SECRETS.map((k) => [k, 'x']));

  it('publishes every port on 127.0.0.1 only, unless BIND_ADDRESS or INFRA_BIND_ADDRESS says otherwise', () => {
    const ports = hostIps(interpolateDeep(raw, secretsSet));
    expect(ports.length).toBeGreaterThanOrEqual(9);
    for (const port of ports) expect(port).toEqual({ ...port, hostIp: LOOPBACK });
    for (const [name, svc] of Object.entries(raw.services)) {
      const variable = INFRA_PORT_SERVICES.includes(name) ? 'INFRA_BIND_ADDRESS' : 'BIND_ADDRESS';
      for (const port of svc.ports ?? [])
        expect({ name, port }).toEqual({
          name,
          port: expect.stringMatching(new RegExp(`^\\$\\{${variable}:-127\\.0\\.0\\.1\\}:`)),
        });
    }
  });

  it('exposes the HTTP endpoints and the infrastructure separately and deliberately', () => {
    const http = hostIps(interpolateDeep(raw, { ...secretsSet, BIND_ADDRESS: '0.0.0.0' }));
    for (const port of http)
      expect(port.hostIp).toBe(INFRA_PORT_SERVICES.includes(port.name) ? LOOPBACK : '0.0.0.0');
    const infra = hostIps(interpolateDeep(raw, { ...secretsSet, INFRA_BIND_ADDRESS: '0.0.0.0' }));
    for (const port of infra)
      expect(port.hostIp).toBe(INFRA_PORT_SERVICES.includes(port.name) ? '0.0.0.0' : LOOPBACK);
    const documented = readRepoFile('.env.example');
    expect(documented).toMatch(/^# BIND_ADDRESS=127\.0\.0\.1$/m);
    expect(documented).toMatch(/^# INFRA_BIND_ADDRESS=127\.0\.0\.1$/m);
  });

  it('refuses to start without the secrets: no value, and an empty one, is an error', () => {
    expect(missingVariables(raw, {})).toEqual(REQUIRED_SECRETS);
    expect(missingVariables(raw, exampleEnv)).toEqual([]);
    for (const secret of REQUIRED_SECRETS) {
      expect(missingVariables(raw, { ...exampleEnv, [secret]: '' })).toEqual([secret]);
    }
  });

  it('takes every password, key and URL credential from a required variable, never a default', () => {
    const required = /^\$\{([A-Z_][A-Z0-9_]*):\?[^}]+\}$/;
    // Keys whose empty value turns a feature off (never open): optional, with no default but empty.
    const offWhenEmpty: Record<string, string> = {
      'metrics.METRICS_ADMIN_API_KEYS': '${METRICS_ADMIN_API_KEYS:-}',
    };
    const secretName = /PASSWORD|SECRET|TOKEN|API_KEYS?$|CREDENTIAL/;
    const checked: string[] = [];
    for (const name of Object.keys(raw.services)) {
      for (const [key, value] of Object.entries(rawEnv(name))) {
        const credentials = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@]+)@/i.exec(value);
        const secret = secretName.test(key) ? value : credentials?.[1];
        if (secret === undefined) continue;
        checked.push(`${name}.${key}`);
        if (offWhenEmpty[`${name}.${key}`] !== undefined) {
          expect(secret).toBe(offWhenEmpty[`${name}.${key}`]);
          continue;
        }
        expect({ variable: `${name}.${key}`, secret }).toEqual({
          variable: `${name}.${key}`,
          secret: expect.stringMatching(required),
        });
        expect(REQUIRED_SECRETS).toContain(required.exec(secret)?.[1]);
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'postgres.POSTGRES_PASSWORD',
        'grafana.GF_SECURITY_ADMIN_PASSWORD',
        'ingest.DATABASE_URL',
        'migrate.DATABASE_URL',
        'ingest.INGEST_API_KEYS',
        'metrics.METRICS_API_KEYS',
      ]),
    );
  });

  it('commits .env.example with an unusable placeholder for every secret, and ignores .env', () => {
    for (const secret of REQUIRED_SECRETS)
      expect({ secret, value: exampleEnv[secret] }).toEqual({
        secret,
        value: expect.stringMatching(/^CHANGE-ME/),
      });
    const ignored = readRepoFile('.gitignore')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.env', '!.env.example']));
  });

  it('limits the CPU and memory of every service', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const limits = svc.deploy?.resources?.limits;
      const cpus = Number(limits?.cpus);
      const memory = memoryBytes(limits?.memory);
      expect({
        name,
        cpus: cpus > 0 && cpus <= 4,
        memory: memory >= 128 * 1024 ** 2 && memory <= 4 * 1024 ** 3,
      }).toEqual({
        name,
        cpus: true,
        memory: true,
      });
    }
  });

  it('rotates every service log through one x-logging block', () => {
    const logging = compose['x-logging'] as ComposeService['logging'];
    expect(logging).toEqual({
      driver: 'json-file',
      options: {
        'max-size': expect.stringMatching(/^\d+[kmg]$/),
        'max-file': expect.stringMatching(/^\d+$/),
      },
    });
    for (const [name, svc] of Object.entries(compose.services))
      expect({ name, logging: svc.logging }).toEqual({ name, logging });
  });
});
