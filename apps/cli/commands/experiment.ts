// `ecopt experiment <name>`: checks the options and runs one paper-reproduction experiment.
import { UsageError, parseArgs, intOpt, optInt, listOpt } from '../args.js';
import { didYouMean } from '../suggest.js';
import { HELP_EXPERIMENT } from '../help.js';
import { initRuntime } from '../runtime.js';
import { EXPERIMENTS, runExperiment } from '../../experiments/run.js';
import { OPTIMIZER_LABELS } from '../../experiments/optimizers.js';
import { parseArm } from '../../experiments/arms.js';
import type { ExperimentOptions } from '../../experiments/options.js';

export async function experiment(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['seeds', 'epochs', 'limit', 'test-limit', 'grid-epochs', 'widths', 'cs', 'optimizers', 'steps', 'cnn', 'out', 'threads', 'depths', 'shard'], ['report-only']);
  if (args.opts.help) { process.stdout.write(HELP_EXPERIMENT); return; }
  if (args.positional.length !== 1) throw new UsageError(args.positional.length ? `expected one experiment name, got ${args.positional.join(' ')}` : `missing the experiment name (one of: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const name = args.positional[0];
  if (!EXPERIMENTS[name]) throw new UsageError(`unknown experiment '${name}'${didYouMean(name, Object.keys(EXPERIMENTS))} (one of: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const o: ExperimentOptions = {
    seeds: intOpt(args, 'seeds', 3), epochs: optInt(args, 'epochs'), limit: optInt(args, 'limit'),
    testLimit: optInt(args, 'test-limit'), gridEpochs: optInt(args, 'grid-epochs', 0),
    widths: listOpt(args, 'widths'), cs: listOpt(args, 'cs'), steps: optInt(args, 'steps'), depths: listOpt(args, 'depths'),
    out: args.opts.out === undefined ? undefined : String(args.opts.out), reportOnly: args.opts['report-only'] === true,
  };
  if (o.widths?.some((w) => !Number.isInteger(w))) throw new UsageError('--widths must be positive integers');
  if (o.cs?.some((c) => c < 1)) throw new UsageError('--cs values must be >= 1');
  if (o.depths?.some((d) => d !== 8 && d !== 20)) throw new UsageError('--depths: resnet-study runs depths 8 and 20 (e.g. --depths 8)');
  if (args.opts.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(String(args.opts.shard));
    if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard must be K/N with 0 <= K < N (e.g. 0/2 and 1/2 for two processes), got '${args.opts.shard}'`);
    if (name !== 'resnet-study') throw new UsageError(`--shard: only resnet-study trains in shards, not ${name}`);
    o.shard = [Number(m[1]), Number(m[2])];
  }
  if (args.opts.cnn !== undefined) {
    const c = String(args.opts.cnn);
    if (c !== 'cnn' && c !== 'cnn-small') throw new UsageError(`--cnn must be cnn or cnn-small, got '${c}'${didYouMean(c, ['cnn', 'cnn-small'])}`);
    o.cnn = c;
  }
  if (args.opts.optimizers !== undefined) {
    const ids = String(args.opts.optimizers).split(',').map((s) => s.trim());
    const bad = ids.find((id) => !(id.split('@')[0] in OPTIMIZER_LABELS));
    if (bad !== undefined || !ids.length) throw new UsageError(`--optimizers: unknown optimizer '${bad}'${didYouMean(String(bad), Object.keys(OPTIMIZER_LABELS))} (ids: ${Object.keys(OPTIMIZER_LABELS).join(', ')})`);
    for (const id of ids) {
      try { parseArm(id); } catch (e) { throw new UsageError(`--optimizers: ${(e as Error).message}`); }
      if (id.includes('@') && name !== 'mnist-authors' && name !== 'fashion-width') throw new UsageError(`--optimizers: ${name} takes optimizer ids, not arms like '${id}' (arms: mnist-authors, fashion-width)`);
    }
    o.optimizers = ids;
  }
  await initRuntime(args);
  await runExperiment(name, o, `ecopt experiment ${argv.join(' ')}`);
}
