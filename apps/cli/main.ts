#!/usr/bin/env node
// The `ecopt` command line (Node only):
//   ecopt train       train a model (MLP spec, the small CNN or a JSON spec) on MNIST, Fashion-MNIST or IDX files
//   ecopt eval        evaluate a saved model (.safetensors) on a dataset's test split
//   ecopt bench       short built-in throughput measurement (samples/s)
//   ecopt experiment  the paper-reproduction experiments (apps/experiments/)
//   ecopt help <cmd>  = ecopt <cmd> --help;  ecopt --version (-v) prints the package version
// Exit codes: 0 ok, 2 bad usage (unknown option, bad value), 1 failure (with a message). Typos in
// commands, options and values get a "did you mean" (edit distance).
// This file: the entry point (the package's bin); it dispatches to commands/*.ts and turns errors into
// messages and exit codes.
import { UsageError } from './args.js';
import { didYouMean } from './suggest.js';
import { HELP, HELPS } from './help.js';
import { train } from './commands/train.js';
import { evalCmd } from './commands/eval.js';
import { bench } from './commands/bench.js';
import { experiment } from './commands/experiment.js';

/** The package version, from the package.json of the installed 'ecopt' (resolved through its "exports"). */
async function packageVersion(): Promise<string> {
  const fs = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  let file = 'ecopt/package.json';
  let version: unknown;
  try {
    file = createRequire(import.meta.url).resolve('ecopt/package.json');
    version = JSON.parse(await fs.readFile(file, 'utf8')).version;
  } catch (e) {
    throw new Error(`cannot read the version from ${file}: ${(e as Error).message}`);
  }
  if (typeof version !== 'string') throw new Error(`${file} has no "version" string`);
  return version;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const unknown = (c: string) => new UsageError(`unknown command '${c}'${didYouMean(c, Object.keys(HELPS))}`);
  try {
    if (cmd === undefined || cmd === '-h' || cmd === '--help') {
      (cmd === undefined ? process.stderr : process.stdout).write(HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === '--version' || cmd === '-v') {
      if (rest.length) throw new UsageError(`${cmd} takes no arguments, got '${rest[0]}'`);
      process.stdout.write(`${await packageVersion()}\n`);
      return 0;
    }
    if (cmd === 'help') {
      // ecopt help <command> = ecopt <command> --help
      if (rest.length > 1) throw new UsageError(`help takes one command name, got ${rest.length} arguments`);
      if (rest[0] === undefined) { process.stdout.write(HELP); return 0; }
      if (!HELPS[rest[0]]) throw unknown(rest[0]);
      process.stdout.write(HELPS[rest[0]]);
      return 0;
    }
    if (cmd === 'train') { await train(rest); return 0; }
    if (cmd === 'eval') { await evalCmd(rest); return 0; }
    if (cmd === 'bench') { await bench(rest); return 0; }
    if (cmd === 'experiment') { await experiment(rest); return 0; }
    throw unknown(cmd);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ecopt: ${e.message}\n\n${HELPS[cmd] ? `See 'ecopt ${cmd} --help'.` : HELP}\n`);
      return 2;
    }
    process.stderr.write(`ecopt: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
