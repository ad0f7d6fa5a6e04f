/**
 * Static checks of deploy/docker/Dockerfile and .dockerignore (no Docker needed): stages, the pinned
 * Node LTS base, what the runtime image ships, its user, healthcheck and the absence of secrets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Node release lines in Active or Maintenance LTS (Node 20 reached its end of life on 2026-04-30). */
const NODE_LTS_MAJORS = [22, 24];

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Dockerfile instructions, continuation lines joined, comments and blank lines dropped. */
function dockerInstructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return logical.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

function dockerStages(instructions: Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      const base = image.replace(/\$\{?(\w+)\}?/g, (_m, arg: string) => globalArgs.get(arg) ?? '');
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : String(stages.length),
        base,
        instructions: [],
      });
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const [key, value = ''] = ins.args.split('=');
      globalArgs.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

describe('deploy/docker/Dockerfile', () => {
  const stages = dockerStages(dockerInstructions(read('deploy/docker/Dockerfile')));
  const stage = (name: string) => stages.find((s) => s.name === name);
  const runs = (name: string) =>
    (stage(name)?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const final = stages.at(-1)!;

  it('builds in deps, build and runtime stages', () => {
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    expect(stage('build')?.base).toBe('deps');
    expect(runs('deps').join(' ')).toMatch(/\bnpm ci\b/);
    expect(runs('build').join(' ')).toMatch(/npm run build .*npm prune --omit=dev/);
  });

  it("applies the repo's dependency patches in npm ci (patch-package, in the postinstall)", () => {
    const deps = stage('deps')?.instructions ?? [];
    const copyPatches = deps.findIndex((i) => i.keyword === 'COPY' && /^patches\s/.test(i.args));
    const npmCi = deps.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(copyPatches).toBeGreaterThanOrEqual(0);
    expect(copyPatches).toBeLessThan(npmCi);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.postinstall).toMatch(/^patch-package --error-on-fail$/);
  });

  it('builds and runs on one Node LTS bookworm-slim image pinned to a patch release', () => {
    const base = stage('deps')?.base ?? '';
    const match = /^node:(\d+)\.\d+\.\d+-bookworm-slim$/.exec(base);
    expect({ base, pinnedPatch: match !== null }).toEqual({ base, pinnedPatch: true });
    expect(NODE_LTS_MAJORS).toContain(Number(match?.[1]));
    // The native module compiled in deps must run on the same Node ABI in the runtime stage.
    expect(final.base).toBe(base);
  });

  it('keeps the compiler toolchain for node-rdkafka in the deps stage only', () => {
    const deps = runs('deps').join(' ');
    for (const tool of ['python3', 'make', 'g++']) expect(deps).toContain(tool);
    expect(runs('runtime').join(' ')).not.toMatch(/\b(g\+\+|make|python3|build-essential)\b/);
  });

  it('ships only dist/, production node_modules and package.json, in production mode', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY');
    const sources = copies.map((i) => {
      expect(i.args).toMatch(/^--from=build\s/);
      return i.args.split(/\s+/).at(-2);
    });
    expect(sources.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect(final.instructions).toContainEqual({ keyword: 'ENV', args: 'NODE_ENV=production' });
  });

  it('runs as the non-root node user and checks /health/live on HTTP_PORT', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toBe('node');
    const healthcheck = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toContain('/health/live');
    expect(healthcheck?.args).toMatch(/\$\{HTTP_PORT(:-\d+)?\}/);
  });

  it('bakes in no secrets', () => {
    for (const s of stages) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')) {
        expect(ins.args).not.toMatch(/PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL/i);
      }
    }
  });

  it('has a .dockerignore that keeps local artefacts and env files out of the context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining([
        'node_modules',
        'dist',
        '.git',
        'coverage',
        'logs',
        '*.log',
        '.env*',
      ]),
    );
  });
});
