// The cross-model canary: a second model (with an Adam optimizer that has taken steps) kept alive
// during a hostile scenario; check() fails if its weights, optimizer state, step count or block
// ownership changed by a single bit. Used by safety.test.ts and chaos.test.ts.
import { getRuntime, Sequential, Dense, ReLU, Adam } from '../../src/index.js';
import { rng, hashArrays } from '../helpers.js';

export interface Canary {
  model: Sequential;
  optimizer: Adam;
  /** Throws (with what changed) unless the canary is bit-identical to when it was made. */
  check(): void;
  fingerprint(): string;
  dispose(): void;
}

export function makeCanary(seed = 7): Canary {
  const model = new Sequential([new Dense(12, 10), new ReLU(), new Dense(10, 3)], { seed });
  const optimizer = new Adam(model, { lr: 0.01 });
  const r = rng(seed);
  const x = r.uniform(5 * 12);
  const y = Int32Array.from([0, 1, 2, 1, 0]);
  model.trainBatch(x, y, optimizer);
  model.trainBatch(x, y, optimizer);
  const fingerprint = () => {
    const sd = optimizer.stateDict();
    const arena = getRuntime().arena as unknown as { blocksOf?: (o: object) => { ptr: number; size: number; gen: number }[] };
    const blocks = (arena.blocksOf?.(model) ?? []).map((b) => `${b.ptr}:${b.size}:${b.gen}`).join(',');
    return `${hashArrays([...model.getWeights(), ...sd.buffers])} t=${sd.step} blocks=${blocks}`;
  };
  const before = fingerprint();
  return {
    model, optimizer, fingerprint,
    check() {
      const now = fingerprint();
      if (now !== before) throw new Error(`the canary model changed: ${before} -> ${now}`);
    },
    dispose() { model.dispose(); },
  };
}
