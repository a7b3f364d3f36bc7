// `ecopt bench`: a short throughput measurement, SGD against EC-SGD on the MLP and the CNN, as a table.
import { UsageError, parseArgs, optInt } from '../args.js';
import { didYouMean } from '../suggest.js';
import { fmtInt, table } from '../format.js';
import { HELP_BENCH } from '../help.js';
import { initRuntime } from '../runtime.js';
import { measureStepTimes } from '../../experiments/step-times.js';
import { OPTIMIZER_LABELS, type OptimizerId } from '../../experiments/optimizers.js';

export async function bench(argv: string[]): Promise<void> {
  const args = parseArgs(argv, ['steps', 'cnn', 'threads']);
  if (args.opts.help) { process.stdout.write(HELP_BENCH); return; }
  if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const steps = optInt(args, 'steps');
  const cnn = String(args.opts.cnn ?? 'cnn');
  if (cnn !== 'cnn' && cnn !== 'cnn-small') throw new UsageError(`--cnn must be cnn or cnn-small, got '${cnn}'${didYouMean(cnn, ['cnn', 'cnn-small'])}`);
  const rt = await initRuntime(args);
  const json = !!args.opts.json;
  const mlpSteps = steps ?? 20;
  const cnnSteps = steps ?? 5;
  const ids: OptimizerId[] = ['sgd', 'ecsgd'];
  const L = (id: OptimizerId) => OPTIMIZER_LABELS[id];
  const ratioHead = `${L('ecsgd')} / ${L('sgd')}`;
  if (!json) {
    process.stdout.write(`ecopt bench: ${rt.threads} thread(s)${rt.note ? ` (${rt.note})` : ''}; ${mlpSteps} timed steps (MLP), ${cnnSteps} (CNN), after 3 warm-up steps, ` +
      'optimizers taking turns on the same real-MNIST batch\n' +
      [
        ['step ms', 'median wall time of one training step (forward, loss, backward, update)'],
        ['p10-p90 ms', '10th and 90th percentiles of the step times'],
        ['update ms', "the optimizer's update alone (optimizer.apply()), median"],
        ['samples/s', 'batch size / median step time'],
        [ratioHead, `samples/s of ${L('ecsgd')} divided by ${L('sgd')}'s, same model and batch (below 1: ${L('ecsgd')} is slower)`],
      ].map(([k, v]) => `  ${`${k}:`.padEnd(14)}${v}\n`).join('') + '\n');
  }
  const t = await measureStepTimes({ ids, steps: mlpSteps, cnnSteps, cnn });
  if (json) {
    process.stdout.write(JSON.stringify({
      threads: rt.threads, results: t,
      notes: { ratioToSGD: "median step time divided by SGD's, same model and batch (above 1: slower; samples/s ratio = 1 / ratioToSGD)" },
    }) + '\n');
    return;
  }
  const rows = t.map((r) => [r.model, String(r.batchSize), L(r.optimizer), r.medianMs.toFixed(2), `${r.p10Ms.toFixed(2)}-${r.p90Ms.toFixed(2)}`,
    r.updateMs.toFixed(3), fmtInt(r.samplesPerSec), r.optimizer === 'sgd' ? '-' : (1 / r.ratioToSGD).toFixed(3)]);
  process.stdout.write(table(['model', 'batch', 'optimizer', 'step ms', 'p10-p90 ms', 'update ms', 'samples/s', ratioHead], rows,
    [false, true, false, true, true, true, true, true]));
}
