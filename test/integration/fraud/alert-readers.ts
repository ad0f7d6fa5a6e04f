import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/*
 * The two ways an alert consumer is told to read clickstream.alerts.v1, run as child processes: the
 * README's kafkajs snippet, exactly as the README shows it, and `npm run cli -- alerts --follow`.
 */

const ROOT = resolve(__dirname, '../../..');
const SNIPPET_MARKER = '<!-- alerts-consumer.js -->';

/** The code block that follows the marker in README.md. */
export function readmeConsumerSource(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(SNIPPET_MARKER);
  if (at < 0) throw new Error(`README.md has no ${SNIPPET_MARKER} block`);
  const match = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match) throw new Error(`no \`\`\`js block after ${SNIPPET_MARKER} in README.md`);
  return match[1];
}

export interface LineReader {
  readonly child: ChildProcess;
  /** Lines of stdout so far. */
  readonly lines: string[];
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

function readLines(child: ChildProcess): LineReader {
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l.length > 0));
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the README's consumer with the repository's kafkajs, on `env` (KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, ALERTS_GROUP). */
export function startReadmeConsumer(env: Record<string, string>): LineReader {
  const dir = mkdtempSync(join(tmpdir(), 'alerts-consumer-'));
  const file = join(dir, 'alerts-consumer.js');
  writeFileSync(file, readmeConsumerSource());
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return readLines(child);
}

/** `npm run cli -- alerts --follow <args>` (the CLI's own entry point, as npm runs it). */
export function startFollowCli(args: string[], env: Record<string, string>): LineReader {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'tools/cli/cli.ts'), 'alerts', '--follow', ...args],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return readLines(child);
}
