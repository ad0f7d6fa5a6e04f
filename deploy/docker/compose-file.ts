/**
 * docker-compose.yml as compose reads it, for deploy/compose.spec.ts (there is no Docker engine in
 * the tests): YAML with merge keys resolved, then variable interpolation with compose's rules against
 * a given environment, such as the values of .env.example.
 */
import { parse } from 'yaml';

export type EnvValue = string | number | boolean | null;

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string | string[];
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  environment?: Record<string, EnvValue>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  restart?: string;
  stop_grace_period?: string;
  volumes?: string[];
  logging?: { driver?: string; options?: Record<string, string> };
  deploy?: { resources?: { limits?: { cpus?: string | number; memory?: string } } };
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}

export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/** A `${VAR:?message}` or `${VAR?message}` whose variable is missing: compose refuses to run. */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`required variable ${variable} is missing a value: ${detail}`);
    this.name = 'MissingVariableError';
  }
}

const REFERENCE =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\{[^}]*\}/g;

/**
 * Compose interpolation of one string: `$$` is a literal `$`; `${VAR:-d}` (unset or empty) and
 * `${VAR-d}` (unset) give d; `${VAR:?m}` (unset or empty) and `${VAR?m}` (unset) are errors;
 * `${VAR:+r}` and `${VAR+r}` give r when set. Any other `${...}` form is an error here, so a typo
 * in the file cannot pass as a literal.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    REFERENCE,
    (match, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare;
      if (name === undefined) throw new Error(`unsupported interpolation ${match}`);
      const current = env[name];
      const unsetOrEmpty = current === undefined || current === '';
      switch (op) {
        case undefined:
          return current ?? '';
        case ':-':
          return unsetOrEmpty ? (arg ?? '') : current;
        case '-':
          return current === undefined ? (arg ?? '') : current;
        case ':?':
          if (unsetOrEmpty) throw new MissingVariableError(name, arg ?? '');
          return current;
        case '?':
          if (current === undefined) throw new MissingVariableError(name, arg ?? '');
          return current;
        case ':+':
          return unsetOrEmpty ? '' : (arg ?? '');
        case '+':
          return current === undefined ? '' : (arg ?? '');
        default:
          throw new Error(`unsupported interpolation ${match}`);
      }
    },
  );
}

/** Interpolates every string in a parsed compose value (keys are left alone, as compose does). */
export function interpolateDeep<T>(value: T, env: Record<string, string | undefined>): T {
  if (typeof value === 'string') return interpolate(value, env) as T;
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, env)]),
    ) as T;
  }
  return value;
}

/** Names of every required variable (`:?` / `?`) the file cannot resolve from `env`. */
export function missingVariables(
  value: unknown,
  env: Record<string, string | undefined>,
): string[] {
  const missing = new Set<string>();
  const visit = (item: unknown): void => {
    if (typeof item === 'string') {
      for (const part of item.match(REFERENCE) ?? []) {
        try {
          interpolate(part, env);
        } catch (err) {
          if (!(err instanceof MissingVariableError)) throw err;
          missing.add(err.variable);
        }
      }
    } else if (Array.isArray(item)) item.forEach(visit);
    else if (item !== null && typeof item === 'object') Object.values(item).forEach(visit);
  };
  visit(value);
  return [...missing].sort();
}

/** A .env file as compose reads it: KEY=VALUE lines, # comments, optional quotes around the value. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (!match) throw new Error(`not a KEY=VALUE line in the env file: ${trimmed}`);
    env[match[1]] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

/** The service's environment map as strings (the list form is not used in docker-compose.yml). */
export function envOf(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) throw new Error('environment in list form is not supported here');
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function commandOf(svc: ComposeService): string[] {
  return typeof svc.command === 'string' ? [svc.command] : (svc.command ?? []);
}

export function healthcheckText(svc: ComposeService): string {
  const test = svc.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** Bind mounts as [host path, container path]; named volumes are skipped. */
export function bindMounts(svc: ComposeService): [string, string][] {
  return (svc.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source.startsWith('./') || source.startsWith('../'))
    .map(([source, target]) => [source, target]);
}

export interface PublishedPort {
  /** '' when the port is published on every interface. */
  hostIp: string;
  hostPort: string;
  containerPort: string;
}

/** Short (`[ip:]host:container[/proto]`) or long port syntax, after interpolation. */
export function publishedPorts(svc: ComposeService): PublishedPort[] {
  return (svc.ports ?? []).map((port) => {
    if (typeof port !== 'string') {
      return {
        hostIp: port.host_ip ?? '',
        hostPort: String(port.published ?? ''),
        containerPort: String(port.target),
      };
    }
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    if (parts.length === 3)
      return { hostIp: parts[0], hostPort: parts[1], containerPort: parts[2] };
    if (parts.length === 2) return { hostIp: '', hostPort: parts[0], containerPort: parts[1] };
    return { hostIp: '', hostPort: '', containerPort: parts[0] };
  });
}

/** Compose's memory notation (`512M`, `1.5G`, `1536m`, bytes) in bytes; NaN when unreadable. */
export function memoryBytes(value: string | number | undefined): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value ?? '');
  if (!match) return NaN;
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2].toLowerCase()] ?? NaN;
  return Number(match[1]) * unit;
}
