// The one optimizer factory: optimizer kind (the `kind` string each optimizer reports, which is
// also its class name, its stateDict kind and the kind a checkpoint stores) -> constructor.
// loadCheckpoint, the `ecopt` command and the experiments all create optimizers through it.
// Kinds match exactly (case-sensitive class names): callers with other spellings (the CLI's
// lowercase `--optimizer sgd`) map them to a kind themselves.
import type { OptimizerHost } from './host.js';
import { SGD, Momentum, Adam, type Optimizer } from './optimizer.js';
import { ECSGD, ECMomentum, ECAdam } from '../ec/optimizers.js';
import { PathSGD } from '../ec/path-sgd.js';
import { ArgumentError, describeValue } from '../core/errors.js';

const CONSTRUCTORS = { SGD, Momentum, Adam, ECSGD, ECMomentum, ECAdam, PathSGD } as const;

/**
 * The kind of every optimizer ecopt has, as `optimizer.kind` reports it: the class name, the `kind`
 * of `stateDict()` and of a checkpoint's `ecopt.optimizer` metadata. `createOptimizer(kind, ...)`
 * accepts exactly these strings.
 */
export type OptimizerKind = keyof typeof CONSTRUCTORS;

/**
 * Every optimizer kind, in a fixed order: the classic optimizers (SGD, Momentum, Adam), then the
 * EC optimizers (ECSGD, ECMomentum, ECAdam) and PathSGD.
 */
export const OPTIMIZER_KINDS: readonly OptimizerKind[] = Object.freeze(['SGD', 'Momentum', 'Adam', 'ECSGD', 'ECMomentum', 'ECAdam', 'PathSGD']);

/**
 * The options `createOptimizer(kind, model, options)` takes for each kind: those of the kind's
 * constructor (`SGDOptions` for 'SGD', `ECOptions` for 'ECSGD', ...).
 */
export type OptimizerOptionsByKind = { [K in OptimizerKind]: ConstructorParameters<(typeof CONSTRUCTORS)[K]>[1] };

/** Case, '-' and '_' ignored: 'ec-sgd' and 'ecsgd' both find 'ECSGD'. */
const normalized = (s: string) => s.toLowerCase().replace(/[-_\s]/g, '');

/** Levenshtein distance (insertions, deletions, substitutions); the names are short. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length];
}

/** The kind `word` most likely meant: same letters in another case or spelling, else within 2 edits. */
function closestKind(word: string): OptimizerKind | undefined {
  const w = normalized(word);
  const same = OPTIMIZER_KINDS.find((k) => normalized(k) === w);
  if (same !== undefined) return same;
  let best: OptimizerKind | undefined;
  let bestDistance = 3;
  for (const k of OPTIMIZER_KINDS) {
    const d = editDistance(w, normalized(k));
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best;
}

/** Whether `kind` is one of OPTIMIZER_KINDS (exact spelling). */
export function isOptimizerKind(kind: unknown): kind is OptimizerKind {
  return typeof kind === 'string' && Object.prototype.hasOwnProperty.call(CONSTRUCTORS, kind);
}

/**
 * Creates an optimizer of `kind` for `model`: `createOptimizer('Adam', model, { lr: 1e-3 })` is
 * `new Adam(model, { lr: 1e-3 })`. `kind` is one of OPTIMIZER_KINDS, spelled exactly (the class
 * name, as `optimizer.kind` reports it); anything else throws an ArgumentError that names the kind,
 * suggests the closest one ("did you mean 'Adam'?") and lists the known kinds. The options are the
 * kind's constructor options and are checked by that constructor.
 */
export function createOptimizer<K extends OptimizerKind>(kind: K, model: OptimizerHost, options: OptimizerOptionsByKind[K]): Optimizer {
  if (!isOptimizerKind(kind)) {
    const guess = typeof kind === 'string' ? closestKind(kind) : undefined;
    throw new ArgumentError(`createOptimizer: unknown optimizer kind ${typeof kind === 'string' ? `'${kind}'` : describeValue(kind)}` +
      `${guess === undefined ? '' : `; did you mean '${guess}'?`} (known: ${OPTIMIZER_KINDS.join(', ')})`);
  }
  const Ctor = CONSTRUCTORS[kind] as unknown as new (model: OptimizerHost, options: OptimizerOptionsByKind[K]) => Optimizer;
  return new Ctor(model, options);
}
