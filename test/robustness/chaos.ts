// The chaos engine of the memory-safety suite: seeded, time-bounded random sequences of create /
// train / fit / save / load / dispose / injected allocation failures / aborts / hostile input /
// worker traps / use after dispose / shutdown and re-init with another thread count, across
// several live models. After every operation the canary model must be bit-identical and every
// model whose call failed must be exactly as before the call; at the end every byte must be back.
// Used by chaos.node.test.ts (about a minute in `npm test`), debug-build.test.ts and
// `npm run test:chaos -- --minutes N` (scripts/chaos.mjs).
import {
  init, shutdown, getRuntime, Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, Momentum, Adam, ECSGD, ECAdam, PathSGD,
  MemoryError, StateError, ShapeError, NonFiniteError, loadCheckpoint, type Optimizer, type Dataset,
} from '../../src/index.js';
import { rng, hashArrays } from '../helpers.js';
import { makeCanary, type Canary } from './canary.js';

export interface ChaosOptions {
  seed: number;
  seconds: number;
  /** Thread counts to cycle through (one runtime each when reinit is true). */
  threads: number[];
  /** Shut the runtime down and init() it again with the next thread count every few seconds. */
  reinit: boolean;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  seconds: number;
  ops: number;
  /** How often each operation ran. */
  counts: Record<string, number>;
  /** How often each fault kind was injected or provoked, and how it ended. */
  faults: Record<string, number>;
  runtimes: string[];
  violations: string[];
}

interface Entry { model: Sequential; opt: Optimizer; inputs: number; classes: number }

const OPTIMIZERS = ['SGD', 'Momentum', 'Adam', 'ECSGD', 'ECAdam', 'PathSGD'] as const;

function makeOptimizer(kind: string, m: Sequential): Optimizer {
  switch (kind) {
    case 'SGD': return new SGD(m, { lr: 0.05 });
    case 'Momentum': return new Momentum(m, { lr: 0.05, nesterov: true });
    case 'Adam': return new Adam(m, { lr: 0.005 });
    case 'ECSGD': return new ECSGD(m, { lr: 0.05, momentum: 0.5 });
    case 'ECAdam': return new ECAdam(m, { lr: 0.005 });
    default: return new PathSGD(m, { lr: 0.01 });
  }
}

const hashOf = (e: Entry) => {
  const sd = e.opt.stateDict();
  return `${hashArrays([...e.model.getWeights(), ...sd.buffers])} t=${sd.step}`;
};

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(r.next() * (hi - lo + 1));
  const report: ChaosReport = { seed: o.seed, seconds: 0, ops: 0, counts: {}, faults: {}, runtimes: [], violations: [] };
  const count = (k: string) => { report.counts[k] = (report.counts[k] ?? 0) + 1; };
  const fault = (k: string) => { report.faults[k] = (report.faults[k] ?? 0) + 1; };
  const violation = (s: string) => { if (report.violations.length < 50) report.violations.push(`op ${report.ops}: ${s}`); };
  const t0 = now();
  let entries: Entry[] = [];
  let canary: Canary | null = null;
  let baseline = 0;
  let baseBlocks = new Set<number>();
  let threadIx = 0;
  let sliceEnd = 0;

  const batchOf = (e: Entry, B: number) => ({ x: r.uniform(B * e.inputs), y: Int32Array.from({ length: B }, () => int(0, e.classes - 1)) });
  const datasetOf = (e: Entry, N: number): Dataset => {
    const b = batchOf(e, N);
    return { images: b.x, labels: Uint8Array.from(b.y), count: N, sampleShape: [e.inputs], classes: e.classes };
  };
  const create = (): Entry => {
    const cnn = r.next() < 0.35;
    const seed = int(0, 1000);
    const c = int(2, 4), h = int(4, 24);
    const model = cnn
      ? new Sequential([new Conv2D(1, c, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(c * 16, 3)], { seed, inputShape: [1, 8, 8] })
      : new Sequential([new Dense(10, h), new ReLU(), new Dense(h, 4)], { seed });
    try {
      const opt = makeOptimizer(pick(OPTIMIZERS), model);
      return { model, opt, inputs: cnn ? 64 : 10, classes: cnn ? 3 : 4 };
    } catch (e) {
      model.dispose();
      throw e;
    }
  };
  const startRuntime = async () => {
    const threads = o.threads[threadIx++ % o.threads.length];
    if (o.reinit) {
      await shutdown();
      await init({ threads });
    }
    const rt = getRuntime();
    report.runtimes.push(`${rt.build}/${rt.threads}`);
    baseline = rt.arena.bytesInUse;
    baseBlocks = new Set(rt.arena.liveBlocks().map((b) => b.ptr));
    canary = makeCanary(int(0, 99));
    sliceEnd = now() + Math.max(2000, (o.seconds * 1000) / Math.max(1, 2 * o.threads.length));
  };
  const endRuntime = () => {
    for (const e of entries) e.model.dispose();
    entries = [];
    try { canary?.check(); } catch (e) { violation(String(e)); }
    canary?.dispose();
    canary = null;
    const left = getRuntime().arena.bytesInUse;
    if (left !== baseline) {
      const blocks = getRuntime().arena.liveBlocks().filter((b) => !baseBlocks.has(b.ptr)).map((b) => `${b.what} (${b.size}, owner ${(b.owner as { name?: string } | null)?.name ?? 'runtime'})`);
      violation(`leak: ${left - baseline} bytes still in use after every model was disposed: ${blocks.slice(0, 8).join('; ')}`);
    }
  };

  await startRuntime();
  while (now() - t0 < o.seconds * 1000) {
    if (o.reinit && now() > sliceEnd) {
      endRuntime();
      const zombie = create();
      await shutdown();
      fault('shutdown');
      // a model of a runtime that was shut down refuses every call
      try {
        zombie.model.predict(new Float32Array(zombie.inputs), 1);
        violation('a model of a shut-down runtime still predicted');
      } catch (err) {
        if (!(err instanceof StateError)) violation(`after shutdown: ${err}`);
      }
      await startRuntime();
      continue;
    }
    report.ops++;
    const op = pick(['create', 'create', 'train', 'train', 'train', 'fit', 'save-load', 'dispose', 'fail-alloc', 'fail-alloc', 'hostile', 'trap', 'after-dispose', 'new-optimizer']);
    count(op);
    const e = entries.length ? pick(entries) : null;
    try {
      switch (op) {
        case 'create':
          if (entries.length < 4) entries.push(create());
          break;
        case 'train':
          if (e) for (let s = int(1, 4); s > 0; s--) { const b = batchOf(e, int(1, 9)); e.model.trainBatch(b.x, b.y, e.opt); }
          break;
        case 'fit': {
          if (!e) break;
          const mode = pick(['plain', 'abort', 'stop', 'dispose-model', 'dispose-opt', 'aborted-before']);
          const ctl = new AbortController();
          if (mode === 'aborted-before') ctl.abort();
          const before = mode === 'aborted-before' ? hashOf(e) : '';
          let n = 0;
          const p = e.model.fit(datasetOf(e, int(8, 40)), {
            optimizer: e.opt, epochs: int(1, 2), batchSize: int(2, 8), seed: int(0, 9), signal: ctl.signal, yieldEveryMs: 0,
            onBatchEnd: () => {
              n++;
              if (mode === 'abort' && n === 2) ctl.abort();
              if (mode === 'stop' && n === 3) return false;
              if (mode === 'dispose-model' && n === 2) e.model.dispose();
              if (mode === 'dispose-opt' && n === 2) e.opt.dispose();
              return undefined;
            },
          });
          try {
            await p;
            if (mode === 'aborted-before' && hashOf(e) !== before) violation('an already-aborted fit changed the model');
          } catch (err) {
            if (!(err instanceof StateError) || !mode.startsWith('dispose')) violation(`fit (${mode}) failed: ${err}`);
            fault(`fit ${mode} -> StateError`);
          }
          if (e.model.isDisposed) entries = entries.filter((x) => x !== e);
          if (e.opt.isDisposed && !e.model.isDisposed) e.opt = makeOptimizer(pick(OPTIMIZERS), e.model);
          break;
        }
        case 'save-load': {
          if (!e) break;
          const bytes = e.model.toSafetensors({ optimizer: e.opt });
          const { model, optimizer } = loadCheckpoint(bytes);
          const copy: Entry = { model, opt: optimizer, inputs: e.inputs, classes: e.classes };
          if (hashOf(copy) !== hashOf(e)) violation('a checkpoint did not load bit-identically');
          if (entries.length < 4) entries.push(copy); else model.dispose();
          break;
        }
        case 'dispose':
          if (e) { e.model.dispose(); entries = entries.filter((x) => x !== e); }
          break;
        case 'new-optimizer':
          if (e) { const old = e.opt; e.opt = makeOptimizer(pick(OPTIMIZERS), e.model); old.dispose(); }
          break;
        case 'fail-alloc': {
          if (!e) break;
          const arena = getRuntime().arena;
          const before = hashOf(e);
          const used = arena.bytesInUse;
          const what = pick(['bigger batch', 'optimizer', 'checkpoint', 'model']);
          arena.failAfter = int(0, 6);
          let threw: unknown = null;
          let made: { dispose(): void } | null = null;
          try {
            if (what === 'bigger batch') { const b = batchOf(e, int(10, 300)); e.model.trainBatch(b.x, b.y, e.opt); }
            else if (what === 'optimizer') made = makeOptimizer(pick(OPTIMIZERS), e.model);
            else if (what === 'checkpoint') made = loadCheckpoint(e.model.toSafetensors({ optimizer: e.opt })).model;
            else made = create().model;
          } catch (err) {
            threw = err;
          } finally {
            arena.failAfter = null;
          }
          made?.dispose();
          if (threw) {
            fault(`allocation failed (${what})`);
            if (!(threw instanceof MemoryError)) violation(`an injected allocation failure (${what}) threw ${threw}`);
            if (hashOf(e) !== before) violation(`a failed ${what} changed its model`);
            if (what !== 'optimizer' && what !== 'bigger batch' && arena.bytesInUse !== used) violation(`a failed ${what} leaked ${arena.bytesInUse - used} bytes`);
            if (what === 'bigger batch' && arena.bytesInUse !== used) violation(`a failed re-plan changed bytes in use by ${arena.bytesInUse - used}`);
          } else {
            fault(`allocation did not fail (${what})`);
          }
          break;
        }
        case 'hostile': {
          if (!e) break;
          const before = hashOf(e);
          const kind = pick(['nan', 'label', 'length', 'weights']);
          try {
            const b = batchOf(e, 3);
            if (kind === 'nan') { b.x[int(0, b.x.length - 1)] = NaN; e.model.trainBatch(b.x, b.y, e.opt); }
            else if (kind === 'label') { b.y[1] = e.classes; e.model.trainBatch(b.x, b.y, e.opt); }
            else if (kind === 'length') e.model.trainBatch(b.x.subarray(1), b.y, e.opt);
            else e.model.setWeights(e.model.getWeights().slice(1));
            violation(`hostile input (${kind}) was accepted`);
          } catch (err) {
            if (!(err instanceof ShapeError)) violation(`hostile input (${kind}) threw ${err}`);
          }
          if (hashOf(e) !== before) violation(`hostile input (${kind}) changed the model`);
          fault(`hostile input (${kind}) refused`);
          break;
        }
        case 'trap': {
          const rt = getRuntime();
          if (rt.threads < 2 || !e) break;
          // a GEMM whose worker share lies past the end of memory: the worker traps
          const { kernels, arena } = rt;
          const a = arena.alloc(512 * 4), b = arena.alloc(512 * 64 * 4), scratch = arena.alloc(1 << 20);
          try {
            kernels.gemm_nn(arena.memoryBytes - 8 * 4 - 64, a, b, 1, 64, 512, 0, scratch);
            violation('an out-of-bounds GEMM did not throw');
          } catch {
            fault('worker trap');
          } finally {
            arena.release(a); arena.release(b); arena.release(scratch);
          }
          const bt = batchOf(e, 4);
          e.model.trainBatch(bt.x, bt.y, e.opt); // the pool still works
          break;
        }
        case 'after-dispose': {
          const dead = create();
          dead.model.dispose();
          const calls = [() => dead.model.predict(new Float32Array(dead.inputs), 1), () => dead.model.initParameters(), () => dead.opt.stateDict(),
            () => dead.model.getWeights(), () => dead.opt.apply(), () => dead.model.setWeights([])];
          for (const c of calls) {
            try { c(); violation('a disposed model or optimizer answered'); } catch (err) { if (!(err instanceof StateError)) violation(`use after dispose threw ${err}`); }
          }
          fault('use after dispose refused');
          break;
        }
      }
    } catch (err) {
      if (err instanceof NonFiniteError) fault('non-finite step refused');
      else violation(`${op} threw ${err instanceof Error ? `${err.name}: ${err.message}` : err}`);
    }
    try { canary!.check(); } catch (err) { violation(String(err)); }
    for (const x of entries) {
      try { x.model.checkAlive('chaos'); x.opt.checkUsable('chaos'); } catch (err) { violation(`a live model broke: ${err}`); }
    }
    if (report.ops % 200 === 0) o.log?.(`chaos: ${report.ops} ops, ${((now() - t0) / 1000).toFixed(0)} s, ${report.violations.length} violations`);
  }
  endRuntime();
  report.seconds = (now() - t0) / 1000;
  return report;
}
