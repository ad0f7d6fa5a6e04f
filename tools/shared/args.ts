/**
 * The command line of every tool and benchmark: a thin layer over node:util's parseArgs.
 *
 * A script declares its options once, as a table of typed options (string or boolean, default,
 * description, and for values a parser with bounds or choices), and gets:
 *  - strict parsing: an unknown option, a missing value, a value given to a switch, an option given
 *    twice (unless it takes several values) and an argument too many are errors;
 *  - typed values with the defaults filled in;
 *  - `-h`/`--help` anywhere printing the same layout in every script: usage line, description,
 *    arguments, options with their defaults, notes;
 *  - errors that name the option and the value, `--rate: must be a positive integer (got "abc")`,
 *    and exit status 2.
 *
 * Option keys are camelCase, the flag is their kebab-case: `maxBytes` is `--max-bytes`, `noVerify`
 * is `--no-verify` (a switch of its own: node 20's parseArgs has no negation).
 *
 *   const COMMAND = defineCommand({
 *     invocation: 'npm run bench:api --',
 *     description: 'Query API latency on a day of results.',
 *     options: { requests: integer({ min: 1, default: 1000, description: 'requests per scenario' }) },
 *   });
 *   const { values } = parseOrExit('bench:api', COMMAND);   // values.requests: number
 *
 * Scripts with subcommands (`cli rules set R`, `kafka start`) declare a ProgramSpec and use
 * parseProgram / parseProgramOrExit: the leading words of the command line pick the command.
 */
import { parseArgs } from 'node:util';

export const EXIT_OK = 0;
/** Keeps `> 0` and `default 500` on one line when a help description wraps. */
const NBSP = '\u00a0';
export const EXIT_USAGE = 2;

/** A bad command line: the message names the option (or argument) and the value. Exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The option or argument at fault (`--rate`, `<file>`), when there is one. */
    readonly option?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Thrown by a value parser with the rule the value broke: "must be a positive integer". */
export class InvalidValue extends Error {
  constructor(rule: string) {
    super(rule);
    this.name = 'InvalidValue';
  }
}

/** One option of a table; build it with flag, text, integer, number, oneOf, list or value. */
export interface Option<V> {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  /** The value's name in the help: `N` in `--rate N`. */
  readonly placeholder?: string;
  /** One letter: `-k` as well as `--keep`. */
  readonly short?: string;
  /** May be given several times: the values are collected. */
  readonly multiple?: boolean;
  /** With multiple: each occurrence is also split at this separator (`--rates 1000,2000`). */
  readonly separator?: string;
  /** The value when the option is not given. */
  readonly default?: V;
  /** The default as the help shows it, when it is not the value itself ("$KAFKA_BROKERS or ..."). */
  readonly defaultText?: string;
  /** The bounds as the help shows them: `1..10000`, `> 0`. */
  readonly bounds?: string;
  /** Turns one text into the value; throws (InvalidValue, or any Error) with the rule it broke. */
  readonly parse?: (text: string) => unknown;
  /** Type only: the value the option yields. */
  readonly __value?: V;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptionTable = Record<string, Option<any>>;

/** The parsed values of an option table, by key. */
export type Values<S extends OptionTable> = {
  -readonly [K in keyof S]: S[K] extends Option<infer V> ? V : never;
};

/** A positional argument. */
export interface ArgumentSpec {
  /** Shown as `<name>`. */
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
  /** Checks the text; throws (InvalidValue, or any Error) with the rule it broke. */
  readonly parse?: (text: string) => unknown;
}

export interface CommandSpec<S extends OptionTable = OptionTable> {
  /** How the command is run, for the usage line: `npm run replay --`. A program's commands get theirs from it. */
  readonly invocation?: string;
  /** What the command does; its first line is its summary in a program's command list. */
  readonly description: string;
  readonly options: S;
  readonly arguments?: readonly ArgumentSpec[];
  /** Printed after the options: notes, environment, exit status. */
  readonly epilog?: string;
  /** Checks across options after parsing; throws UsageError. */
  check?(values: Values<S>, positionals: readonly string[]): void;
}

export interface CommandLine<S extends OptionTable> {
  readonly help: false;
  readonly values: Values<S>;
  readonly positionals: string[];
  /** The keys of the options given on the command line (not defaulted). */
  readonly given: ReadonlySet<keyof S & string>;
}

export interface HelpRequest {
  readonly help: true;
  readonly text: string;
}

// ---------------------------------------------------------------------------------------------
// Options

interface Described {
  readonly description: string;
  readonly placeholder?: string;
  readonly short?: string;
  readonly defaultText?: string;
}
type Settings<T> = Described & { readonly default?: T };
/** An option with a default always has a value; one without may be undefined. */
type Result<T, O> = O extends { default: T } ? T : T | undefined;

/** A switch: false unless given. */
export function flag(settings: Omit<Described, 'placeholder' | 'defaultText'>): Option<boolean> {
  return { type: 'boolean', ...settings, default: false };
}

/** A value option whose text `parse` turns into the value. */
export function value<T, O extends Settings<T>>(
  parse: (text: string) => T,
  settings: O,
): Option<Result<T, O>> {
  return { type: 'string', placeholder: 'VALUE', ...settings, parse };
}

/** A text value, as given. */
export function text<O extends Settings<string>>(settings: O): Option<Result<string, O>> {
  return value((raw: string) => raw, settings);
}

interface Bounds {
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound (numbers): `greaterThan: 0` is "> 0". */
  readonly greaterThan?: number;
}

/** An integer, `min`..`max` inclusive. */
export function integer<O extends Settings<number> & Omit<Bounds, 'greaterThan'>>(
  settings: O,
): Option<Result<number, O>> {
  return value(integerParser(settings), {
    placeholder: 'N',
    bounds: boundsText(settings),
    ...settings,
  });
}

/** A finite number within the bounds. */
export function number<O extends Settings<number> & Bounds>(
  settings: O,
): Option<Result<number, O>> {
  return value(numberParser(settings), {
    placeholder: 'N',
    bounds: boundsText(settings),
    ...settings,
  });
}

function boundsText({ min, max, greaterThan }: Bounds): string | undefined {
  const parts = [
    greaterThan !== undefined ? `>${NBSP}${greaterThan}` : undefined,
    min !== undefined && max !== undefined ? `${min}..${max}` : undefined,
    min !== undefined && max === undefined ? `>=${NBSP}${min}` : undefined,
    max !== undefined && min === undefined ? `<=${NBSP}${max}` : undefined,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : undefined;
}

/** One of a fixed set of words. */
export function oneOf<const C extends readonly string[], O extends Settings<C[number]>>(
  choices: C,
  settings: O,
): Option<Result<C[number], O>> {
  return value(choiceParser(choices), { placeholder: choices.join('|'), ...settings });
}

/** Several values: the option repeated and/or comma-separated (`--rates 1000,2000 --rates 4000`). */
export function list<T, O extends Settings<T[]>>(
  item: (text: string) => T,
  settings: O,
): Option<Result<T[], O>> {
  return {
    type: 'string',
    placeholder: 'A,B',
    ...settings,
    parse: item,
    multiple: true,
    separator: ',',
  };
}

export function integerParser(bounds: Omit<Bounds, 'greaterThan'>): (text: string) => number {
  const { min, max } = bounds;
  const rule =
    min !== undefined && max !== undefined
      ? `must be an integer from ${min} to ${max}`
      : min === 1
        ? 'must be a positive integer'
        : min !== undefined
          ? `must be an integer >= ${min}`
          : max !== undefined
            ? `must be an integer <= ${max}`
            : 'must be an integer';
  return (raw) => {
    const parsed = /^[-+]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    const inside = (min === undefined || parsed >= min) && (max === undefined || parsed <= max);
    if (!Number.isSafeInteger(parsed) || !inside) throw new InvalidValue(rule);
    return parsed;
  };
}

export function numberParser(bounds: Bounds): (text: string) => number {
  const { min, max, greaterThan } = bounds;
  const rules = [
    greaterThan !== undefined ? `> ${greaterThan}` : undefined,
    min !== undefined && max === undefined ? `>= ${min}` : undefined,
    max !== undefined && min === undefined ? `<= ${max}` : undefined,
    min !== undefined && max !== undefined ? `from ${min} to ${max}` : undefined,
  ].filter(Boolean);
  const rule = `must be a number${rules.length ? ` ${rules.join(' and ')}` : ''}`;
  return (raw) => {
    const parsed = raw.trim() === '' ? NaN : Number(raw);
    const inside =
      (greaterThan === undefined || parsed > greaterThan) &&
      (min === undefined || parsed >= min) &&
      (max === undefined || parsed <= max);
    if (!Number.isFinite(parsed) || !inside) throw new InvalidValue(rule);
    return parsed;
  };
}

export function choiceParser<C extends readonly string[]>(choices: C): (text: string) => C[number] {
  return (raw) => {
    if (!choices.includes(raw)) throw new InvalidValue(`must be one of ${choices.join(', ')}`);
    return raw;
  };
}

/** The identity for a command's table: lets TypeScript infer the option types once. */
export function defineCommand<S extends OptionTable>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** `maxBytes` → `max-bytes`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** `-h` or `--help` before any `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
}

const isOptionLike = (arg: string) => arg.length > 1 && arg.startsWith('-');

interface ParseContext {
  /** The command's name in a program, for messages: `unknown option "--x" for rules set`. */
  readonly command?: string;
  /** Overrides the spec's invocation in the help's usage line. */
  readonly invocation?: string;
}

/** Parses `argv` (without node and the script). Throws UsageError. */
export function parseCommandLine<S extends OptionTable>(
  spec: CommandSpec<S>,
  argv: readonly string[],
  context: ParseContext = {},
): HelpRequest | CommandLine<S> {
  if (wantsHelp(argv)) return { help: true, text: formatHelp(spec, context.invocation) };
  const config = nodeOptions(spec.options);
  const loose = parseArgs({
    args: [...argv],
    options: config,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given = checkTokens(spec.options, loose.tokens, context.command);
  let strict: { values: Record<string, unknown>; positionals: string[] };
  try {
    strict = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: true });
  } catch (error) {
    // checkTokens catches all that strict parsing refuses, with clearer messages; this is the backstop.
    throw new UsageError((error as Error).message);
  }
  checkPositionals(spec.arguments ?? [], strict.positionals, context.command);
  const values = convertValues(spec.options, strict.values);
  spec.check?.(values, strict.positionals);
  return { help: false, values, positionals: strict.positionals, given };
}

type NodeOptions = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
>;

function nodeOptions(options: OptionTable): NodeOptions {
  const out: NodeOptions = {};
  for (const [key, option] of Object.entries(options)) {
    out[flagName(key)] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** What strict parsing would refuse, with the option named; returns the keys given. */
function checkTokens(
  options: OptionTable,
  tokens: readonly Token[],
  command?: string,
): Set<string> {
  const keyOf = new Map(Object.keys(options).map((key) => [flagName(key), key]));
  const given = new Set<string>();
  const where = command ? ` for ${command}` : '';
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const key = keyOf.get(token.name);
    if (key === undefined)
      throw new UsageError(`unknown option "${token.rawName}"${where}`, token.rawName);
    const option = options[key];
    const name = `--${token.name}`;
    if (option.type === 'string') {
      if (token.value === undefined || (!token.inlineValue && isOptionLike(token.value))) {
        throw new UsageError(`${name}: needs a value`, name);
      }
    } else if (token.value !== undefined) {
      throw new UsageError(`${name}: takes no value (got ${JSON.stringify(token.value)})`, name);
    }
    if (given.has(key) && !option.multiple) throw new UsageError(`${name}: given twice`, name);
    given.add(key);
  }
  return given;
}

function checkPositionals(
  declared: readonly ArgumentSpec[],
  positionals: readonly string[],
  command?: string,
): void {
  const required = declared.filter((arg) => !arg.optional).length;
  if (positionals.length < required) {
    const missing = declared[positionals.length].name;
    throw new UsageError(`missing <${missing}>${command ? ` for ${command}` : ''}`, `<${missing}>`);
  }
  if (positionals.length > declared.length) {
    const extra = JSON.stringify(positionals[declared.length]);
    throw new UsageError(`unexpected argument ${extra}${command ? ` for ${command}` : ''}`);
  }
  declared.forEach((arg, i) => {
    if (positionals[i] !== undefined && arg.parse)
      parseText(`<${arg.name}>`, arg.parse, positionals[i]);
  });
}

function convertValues<S extends OptionTable>(options: S, raw: Record<string, unknown>): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(options)) {
    const name = flagName(key);
    const given = raw[name];
    if (given === undefined)
      out[key] = option.default ?? (option.type === 'boolean' ? false : undefined);
    else if (option.type === 'boolean') out[key] = true;
    else if (!option.multiple) out[key] = parseText(`--${name}`, option.parse, given as string);
    else out[key] = listValues(`--${name}`, option, given as string[]);
  }
  return out as Values<S>;
}

function listValues(name: string, option: Option<unknown>, texts: string[]): unknown[] {
  const items = option.separator
    ? texts.flatMap((part) => part.split(option.separator!).map((item) => item.trim()))
    : texts;
  if (items.some((item) => item === '')) {
    throw new UsageError(
      `${name}: needs a value between the separators (got ${JSON.stringify(texts.join(' '))})`,
      name,
    );
  }
  return items.map((item) => parseText(name, option.parse, item));
}

/**
 * Runs a value's parser; its error becomes `<label>: <rule> (got "<text>")`. For values from
 * elsewhere too: `parseText('KAFKA_BROKERS', brokers, env.KAFKA_BROKERS)`.
 */
export function parseText(
  name: string,
  parse: ((text: string) => unknown) | undefined,
  raw: string,
): unknown {
  if (!parse) return raw;
  try {
    return parse(raw);
  } catch (error) {
    if (!(error instanceof Error) || error instanceof UsageError) throw error;
    throw new UsageError(`${name}: ${error.message} (got ${JSON.stringify(raw)})`, name);
  }
}

// ---------------------------------------------------------------------------------------------
// Programs: commands picked by the leading words (`rules set R --threshold 80`)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandTable = Record<string, CommandSpec<any>>;

export interface ProgramSpec<C extends CommandTable> {
  /** How the program is run: `npm run cli --`; a command's usage line adds its name. */
  readonly invocation: string;
  readonly description: string;
  readonly commands: C;
  readonly epilog?: string;
  /** No command at all prints the help (exit 0) instead of a usage error. */
  readonly helpWhenEmpty?: boolean;
}

export type ProgramCommandLine<C extends CommandTable> = {
  [K in keyof C & string]: CommandLine<C[K]['options']> & { readonly command: K };
}[keyof C & string];

export function defineProgram<C extends CommandTable>(program: ProgramSpec<C>): ProgramSpec<C> {
  return program;
}

/** Parses `argv` of a program: the longest run of leading words naming a command picks it. */
export function parseProgram<C extends CommandTable>(
  program: ProgramSpec<C>,
  argv: readonly string[],
): HelpRequest | ProgramCommandLine<C> {
  const names = Object.keys(program.commands);
  let words = 0;
  while (words < argv.length && !isOptionLike(argv[words])) words++;
  for (let take = words; take > 0; take--) {
    const name = argv.slice(0, take).join(' ');
    if (!Object.hasOwn(program.commands, name)) continue;
    const spec = program.commands[name];
    const next = argv[take];
    if (
      !spec.arguments?.length &&
      next !== undefined &&
      !isOptionLike(next) &&
      names.some((n) => n.startsWith(`${name} `))
    ) {
      throw new UsageError(`unknown command "${name} ${next}": use ${commandList(names)}`);
    }
    const context = { command: name, invocation: `${program.invocation} ${name}` };
    const parsed = parseCommandLine(spec, argv.slice(take), context);
    return parsed.help ? parsed : ({ ...parsed, command: name } as ProgramCommandLine<C>);
  }
  if (wantsHelp(argv) || (argv.length === 0 && program.helpWhenEmpty)) {
    return { help: true, text: formatProgramHelp(program) };
  }
  if (words === 0) throw new UsageError(`missing <command>: use ${commandList(names)}`);
  throw new UsageError(`unknown command ${JSON.stringify(argv[0])}: use ${commandList(names)}`);
}

const commandList = (names: string[]) => names.join(', ');

// ---------------------------------------------------------------------------------------------
// Help

const HELP_ROW: [string, string] = ['-h, --help', 'print this help and exit'];
/** Every help puts descriptions at the same column; a longer label gets a line of its own. */
const LABEL_WIDTH = 24;
const WIDTH = 100;

/** The help of one command: usage line, description, arguments, options with defaults, notes. */
export function formatHelp(spec: CommandSpec, invocation = spec.invocation ?? ''): string {
  const args = (spec.arguments ?? []).map((arg) =>
    arg.optional ? `[<${arg.name}>]` : `<${arg.name}>`,
  );
  const usage = [invocation, ...args, '[options]'].filter(Boolean).join(' ');
  const argumentRows = (spec.arguments ?? []).map((arg): [string, string] => [
    `<${arg.name}>`,
    arg.description,
  ]);
  const optionRows = Object.entries(spec.options).map(([key, option]) => optionRow(key, option));
  const width = LABEL_WIDTH;
  return [
    `usage: ${usage}`,
    '',
    ...paragraph(spec.description),
    ...(argumentRows.length ? ['', 'arguments:', ...rows(argumentRows, width)] : []),
    '',
    'options:',
    ...rows([...optionRows, HELP_ROW], width),
    ...(spec.epilog ? ['', ...paragraph(spec.epilog)] : []),
  ].join('\n');
}

/** The help of a program: usage line, description, its commands, notes. */
export function formatProgramHelp(program: ProgramSpec<CommandTable>): string {
  const commandRows = Object.entries(program.commands).map(([name, spec]): [string, string] => [
    [
      name,
      ...(spec.arguments ?? []).map((arg) => (arg.optional ? `[<${arg.name}>]` : `<${arg.name}>`)),
    ].join(' '),
    spec.description.trim().split('\n')[0],
  ]);
  const width = LABEL_WIDTH;
  return [
    `usage: ${program.invocation} <command> [options]`,
    '',
    ...paragraph(program.description),
    '',
    'commands:',
    ...rows(commandRows, width),
    '',
    'options:',
    ...rows([HELP_ROW], width),
    '',
    `Run \`${program.invocation} <command> --help\` for a command's arguments and options.`,
    ...(program.epilog ? ['', ...paragraph(program.epilog)] : []),
  ].join('\n');
}

function optionRow(key: string, option: Option<unknown>): [string, string] {
  const short = option.short ? `-${option.short}, ` : '';
  const label = `${short}--${flagName(key)}${option.type === 'string' ? ` ${option.placeholder ?? 'VALUE'}` : ''}`;
  const shown = option.defaultText ?? defaultText(option);
  const notes = [option.bounds, shown === undefined ? undefined : `default${NBSP}${shown}`].filter(
    Boolean,
  );
  return [label, [option.description, ...notes].join(', ')];
}

function defaultText(option: Option<unknown>): string | undefined {
  if (option.type === 'boolean' || option.default === undefined) return undefined;
  return Array.isArray(option.default) ? option.default.join(',') : String(option.default);
}

/** Two columns; a long label gets a line of its own, long descriptions wrap at word boundaries. */
function rows(table: Array<[string, string]>, width: number): string[] {
  const out: string[] = [];
  const indent = ' '.repeat(width + 2);
  for (const [label, description] of table) {
    const lines = description.split('\n').flatMap((line) => wrap(line, WIDTH - width - 2));
    if (label.length > width - 2) out.push(`  ${label}`);
    else out.push(`  ${label.padEnd(width)}${lines.shift() ?? ''}`);
    for (const line of lines) out.push(`${indent}${line}`);
  }
  return out.map((line) => line.replaceAll(NBSP, ' '));
}

/** Prose of the description and notes: lines longer than the help's width are wrapped. */
function paragraph(text: string): string[] {
  return text
    .trim()
    .split('\n')
    .flatMap((line) => (line.length > WIDTH ? wrap(line, WIDTH) : [line]));
}

function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scripts

/**
 * For a script's main: the parsed command line; or the help printed to stdout and exit 0; or
 * `<name>: <message>` and a hint printed to stderr and exit 2.
 */
export function parseOrExit<S extends OptionTable>(
  name: string,
  spec: CommandSpec<S>,
  argv: readonly string[] = process.argv.slice(2),
): CommandLine<S> {
  return orExit(name, spec.invocation ?? name, () => parseCommandLine(spec, argv));
}

/** parseOrExit for a program with commands. */
export function parseProgramOrExit<C extends CommandTable>(
  name: string,
  program: ProgramSpec<C>,
  argv: readonly string[] = process.argv.slice(2),
): ProgramCommandLine<C> {
  return orExit(name, program.invocation, () => parseProgram(program, argv));
}

function orExit<T extends { help: false }>(
  name: string,
  invocation: string,
  parse: () => HelpRequest | T,
): T {
  let parsed: HelpRequest | T;
  try {
    parsed = parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${usageErrorText(name, invocation, error)}\n`);
    process.exit(EXIT_USAGE);
  }
  if (parsed.help) {
    process.stdout.write(`${parsed.text}\n`);
    process.exit(EXIT_OK);
  }
  return parsed;
}

/** `<name>: <message>` and where the usage is, as every script prints a bad command line. */
export function usageErrorText(name: string, invocation: string, error: UsageError): string {
  return `${name}: ${error.message}\nrun \`${invocation} --help\` for usage`;
}
