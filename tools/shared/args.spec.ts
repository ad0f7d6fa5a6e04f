import {
  defineCommand,
  defineProgram,
  EXIT_USAGE,
  flag,
  formatHelp,
  integer,
  list,
  number,
  oneOf,
  parseCommandLine,
  parseOrExit,
  parseProgram,
  text,
  UsageError,
  value,
} from './args';

const COMMAND = defineCommand({
  invocation: 'npm run thing --',
  description: 'Does the thing to a file.',
  arguments: [{ name: 'file', description: 'what to read' }],
  options: {
    rate: integer({ min: 1, default: 10, description: 'events per second' }),
    speedup: number({ greaterThan: 0, description: 'event time runs this much faster' }),
    to: oneOf(['http', 'kafka'] as const, { default: 'http', description: 'where to send' }),
    url: text({
      placeholder: 'URL',
      defaultText: '$URL or http://127.0.0.1:3001',
      description: 'base URL',
    }),
    rates: list(Number, {
      placeholder: 'R,R',
      default: [1000, 2000],
      description: 'rates to step through',
    }),
    maxBytes: integer({
      min: 1,
      max: 1024,
      default: 512,
      description: 'bytes per fetch,\nper partition',
    }),
    keep: flag({ short: 'k', description: 'keep what the run made' }),
    noVerify: flag({ description: 'skip the check' }),
  },
});

const parse = (argv: string[]) => {
  const parsed = parseCommandLine(COMMAND, argv);
  if (parsed.help) throw new Error('unexpected help');
  return parsed;
};
const failure = (argv: string[]) => {
  try {
    parseCommandLine(COMMAND, argv);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('no usage error');
};

describe('parseCommandLine', () => {
  it('fills in the defaults, typed', () => {
    const { values, positionals, given } = parse(['in.csv']);
    expect(values).toEqual({
      rate: 10,
      speedup: undefined,
      to: 'http',
      url: undefined,
      rates: [1000, 2000],
      maxBytes: 512,
      keep: false,
      noVerify: false,
    });
    expect(positionals).toEqual(['in.csv']);
    expect(given.size).toBe(0);
    // The types follow the table: a default makes the value always defined.
    const rate: number = values.rate;
    const to: 'http' | 'kafka' = values.to;
    const speedup: number | undefined = values.speedup;
    expect([rate, to, speedup]).toEqual([10, 'http', undefined]);
  });

  it('reads --flag value, --flag=value, short switches, kebab-case flags and positionals anywhere', () => {
    const { values, positionals, given } = parse([
      '--rate',
      '250',
      'in.csv',
      '--to=kafka',
      '-k',
      '--max-bytes',
      '1024',
      '--no-verify',
      '--speedup',
      '1.5',
    ]);
    expect(values).toMatchObject({
      rate: 250,
      to: 'kafka',
      keep: true,
      maxBytes: 1024,
      noVerify: true,
      speedup: 1.5,
    });
    expect(positionals).toEqual(['in.csv']);
    expect([...given].sort()).toEqual(['keep', 'maxBytes', 'noVerify', 'rate', 'speedup', 'to']);
  });

  it('collects a list from commas and repeats', () => {
    expect(parse(['f', '--rates', '1,2', '--rates', '3']).values.rates).toEqual([1, 2, 3]);
  });

  it('takes a lone - as a value (stdout, as generate --out - will)', () => {
    const spec = defineCommand({
      description: 'x',
      options: { out: text({ description: 'file or -' }) },
    });
    expect(parseCommandLine(spec, ['--out', '-'])).toMatchObject({ values: { out: '-' } });
  });

  it('takes arguments after -- as positionals', () => {
    expect(parse(['--', '--odd-name']).positionals).toEqual(['--odd-name']);
  });
});

describe('parseCommandLine refusals', () => {
  it.each([
    [['f', '--rate', 'abc'], '--rate: must be a positive integer (got "abc")'],
    [['f', '--rate', '0'], '--rate: must be a positive integer (got "0")'],
    [['f', '--rate', '1.5'], '--rate: must be a positive integer (got "1.5")'],
    [['f', '--max-bytes', '2048'], '--max-bytes: must be an integer from 1 to 1024 (got "2048")'],
    [['f', '--speedup', '0'], '--speedup: must be a number > 0 (got "0")'],
    [['f', '--speedup=Infinity'], '--speedup: must be a number > 0 (got "Infinity")'],
    [['f', '--to', 's3'], '--to: must be one of http, kafka (got "s3")'],
    [['f', '--rates', '1,,2'], '--rates: needs a value between the separators (got "1,,2")'],
    [['f', '--speed', '2'], 'unknown option "--speed"'],
    [['f', '-r', '2'], 'unknown option "-r"'],
    [['f', '--rate'], '--rate: needs a value'],
    [['f', '--rate', '--to', 'http'], '--rate: needs a value'],
    [['f', '--keep=yes'], '--keep: takes no value (got "yes")'],
    [['f', '--rate', '1', '--rate', '2'], '--rate: given twice'],
    [[], 'missing <file>'],
    [['a', 'b'], 'unexpected argument "b"'],
  ])('refuses %j: %s', (argv, message) => {
    expect(failure(argv)).toBe(message);
  });

  it('names the option at fault on the error', () => {
    expect(() => parse(['f', '--rate', 'x'])).toThrow(
      expect.objectContaining({ option: '--rate' }),
    );
  });

  it('wraps any error of a value parser, and checks arguments', () => {
    const spec = defineCommand({
      description: 'x',
      arguments: [
        {
          name: 'rule',
          description: 'a rule',
          parse: (raw) => {
            if (raw !== 'a') throw new Error('must be a');
          },
        },
      ],
      options: { brokers: value((raw) => raw.split(','), { description: 'brokers' }) },
    });
    expect(() => parseCommandLine(spec, ['b'])).toThrow('<rule>: must be a (got "b")');
    expect(parseCommandLine(spec, ['a', '--brokers', 'h:1,h:2'])).toMatchObject({
      values: { brokers: ['h:1', 'h:2'] },
    });
  });

  it('runs the checks across options', () => {
    const spec = defineCommand({
      description: 'x',
      options: {
        low: integer({ min: 0, default: 0, description: 'low' }),
        high: integer({ min: 0, default: 10, description: 'high' }),
      },
      check: (values) => {
        if (values.low > values.high) throw new UsageError('--low must not exceed --high');
      },
    });
    expect(() => parseCommandLine(spec, ['--low', '11'])).toThrow('--low must not exceed --high');
  });
});

describe('help', () => {
  it('answers -h and --help anywhere before --, even next to bad values', () => {
    expect(parseCommandLine(COMMAND, ['--help'])).toEqual({
      help: true,
      text: formatHelp(COMMAND),
    });
    expect(parseCommandLine(COMMAND, ['--rate', 'nope', '-h']).help).toBe(true);
    expect(parseCommandLine(COMMAND, ['--', '-h']).help).toBe(false);
  });

  it('prints the help in the common layout', () => {
    expect(formatHelp(COMMAND)).toBe(
      [
        'usage: npm run thing -- <file> [options]',
        '',
        'Does the thing to a file.',
        '',
        'arguments:',
        '  <file>                  what to read',
        '',
        'options:',
        '  --rate N                events per second, >= 1, default 10',
        '  --speedup N             event time runs this much faster, > 0',
        '  --to http|kafka         where to send, default http',
        '  --url URL               base URL, default $URL or http://127.0.0.1:3001',
        '  --rates R,R             rates to step through, default 1000,2000',
        '  --max-bytes N           bytes per fetch,',
        '                          per partition, 1..1024, default 512',
        '  -k, --keep              keep what the run made',
        '  --no-verify             skip the check',
        '  -h, --help              print this help and exit',
      ].join('\n'),
    );
  });

  it('puts a long label on a line of its own and wraps long descriptions', () => {
    const spec = defineCommand({
      invocation: 'x',
      description: 'x',
      options: {
        brokers: text({
          placeholder: 'HOST:PORT[,HOST:PORT]',
          description: 'word '.repeat(20).trim(),
        }),
      },
    });
    expect(formatHelp(spec).split('\n').slice(5, 9)).toEqual([
      '  --brokers HOST:PORT[,HOST:PORT]',
      `                          ${'word '.repeat(15).trim()}`,
      `                          ${'word '.repeat(5).trim()}`,
      '  -h, --help              print this help and exit',
    ]);
  });
});

describe('parseProgram', () => {
  const PROGRAM = defineProgram({
    invocation: 'npm run tool --',
    description: 'A tool with commands.',
    helpWhenEmpty: true,
    commands: {
      status: {
        description: 'prints the status\nin detail',
        options: { json: flag({ description: 'as JSON' }) },
      },
      rules: { description: 'lists the rules', options: {} },
      'rules set': {
        description: 'changes a rule',
        arguments: [{ name: 'rule', description: 'the rule' }],
        options: { threshold: number({ min: 0, description: 'the threshold' }) },
      },
    },
  });

  it('picks the command by its leading words', () => {
    expect(parseProgram(PROGRAM, ['status', '--json'])).toMatchObject({
      command: 'status',
      values: { json: true },
    });
    expect(parseProgram(PROGRAM, ['rules'])).toMatchObject({ command: 'rules', positionals: [] });
    expect(parseProgram(PROGRAM, ['rules', 'set', 'r1', '--threshold', '5'])).toMatchObject({
      command: 'rules set',
      positionals: ['r1'],
      values: { threshold: 5 },
    });
  });

  it.each([
    [['nope'], 'unknown command "nope": use status, rules, rules set'],
    [['--json'], 'missing <command>: use status, rules, rules set'],
    [['rules', 'delete', 'r1'], 'unknown command "rules delete": use status, rules, rules set'],
    [['rules', 'set'], 'missing <rule> for rules set'],
    [['rules', 'set', 'r1', '--treshold', '1'], 'unknown option "--treshold" for rules set'],
    [['status', '--json', 'x'], 'unexpected argument "x" for status'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseProgram(PROGRAM, argv)).toThrow(new UsageError(message));
  });

  it('prints the program help with its commands, and each command its own', () => {
    const help = parseProgram(PROGRAM, []);
    expect(help).toEqual({ help: true, text: expect.any(String) });
    expect(help.help && help.text).toBe(
      [
        'usage: npm run tool -- <command> [options]',
        '',
        'A tool with commands.',
        '',
        'commands:',
        '  status                  prints the status',
        '  rules                   lists the rules',
        '  rules set <rule>        changes a rule',
        '',
        'options:',
        '  -h, --help              print this help and exit',
        '',
        "Run `npm run tool -- <command> --help` for a command's arguments and options.",
      ].join('\n'),
    );
    const set = parseProgram(PROGRAM, ['rules', 'set', '--help']);
    expect(set.help && set.text.split('\n')[0]).toBe(
      'usage: npm run tool -- rules set <rule> [options]',
    );
  });
});

describe('parseOrExit', () => {
  let exit: jest.SpyInstance;
  let stdout: jest.SpyInstance;
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it('returns the command line', () => {
    expect(parseOrExit('thing', COMMAND, ['f']).values.rate).toBe(10);
    expect(exit).not.toHaveBeenCalled();
  });

  it('prints the help to stdout and exits 0', () => {
    expect(() => parseOrExit('thing', COMMAND, ['-h'])).toThrow('exit 0');
    expect(stdout).toHaveBeenCalledWith(`${formatHelp(COMMAND)}\n`);
  });

  it('prints a bad command line to stderr, naming the option and the value, and exits 2', () => {
    expect(() => parseOrExit('thing', COMMAND, ['f', '--rate', 'abc'])).toThrow(
      `exit ${EXIT_USAGE}`,
    );
    expect(stderr).toHaveBeenCalledWith(
      'thing: --rate: must be a positive integer (got "abc")\nrun `npm run thing -- --help` for usage\n',
    );
  });
});
