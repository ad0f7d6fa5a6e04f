/** Number and time formats, and the output, of the streams benchmark. */
export const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
export const ms = (millis: number) => `${millis.toFixed(0)} ms`;
export const log = (line: string) => console.log(line);
export const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** BENCH_MARKS=1 prints monotonic µs timestamps (the clock of --cpu-prof) to stderr, to cut a profile. */
export const mark = (what: string) =>
  process.env.BENCH_MARKS &&
  process.stderr.write(`mark ${what} ${process.hrtime.bigint() / 1000n}\n`);
