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
 *
 * By role: args-spec.ts holds the shapes (options, commands, programs), args-options.ts the option
 * builders and value parsers, args-help.ts the help; this file parses, and exports all of them.
 */
import { parseArgs } from 'node:util';
import { formatHelp, formatProgramHelp } from './args-help';
import {
  ArgumentSpec,
  CommandLine,
  CommandSpec,
  CommandTable,
  flagName,
  HelpRequest,
  Option,
  OptionTable,
  ProgramCommandLine,
  ProgramSpec,
  Values,
} from './args-spec';

export { formatHelp, formatProgramHelp } from './args-help';
export {
  choiceParser,
  flag,
  integer,
  integerParser,
  InvalidValue,
  list,
  number,
  numberParser,
  oneOf,
  text,
  value,
} from './args-options';
export { flagName } from './args-spec';
// Every shape of args-spec.ts (its one value, flagName, is exported above).
export type * from './args-spec';

export const EXIT_OK = 0;
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

/** The identity for a command's table: lets TypeScript infer the option types once. */
export function defineCommand<S extends OptionTable>(spec: CommandSpec<S>): CommandSpec<S> {
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Parsing

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
