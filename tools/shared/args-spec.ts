/**
 * The shapes of a command line (see args.ts): options, arguments, commands and programs, the
 * values they parse to, and the flag each option key is spelled as.
 */

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

/** `maxBytes` → `max-bytes`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
