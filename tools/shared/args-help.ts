/**
 * The help of a command or a program (see args.ts): the same layout in every script, usage line,
 * description, arguments or commands, options with their defaults, notes.
 */
import { CommandSpec, CommandTable, flagName, Option, ProgramSpec } from './args-spec';

/** Keeps `> 0` and `default 500` on one line when a help description wraps. */
export const NBSP = '\u00a0';

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
