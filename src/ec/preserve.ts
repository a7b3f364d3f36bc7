// The 'preserve' initialisation of the chain EC optimizers (ec-opt-spec.md section 8): hidden units
// rescaled so every frozen skeleton weight has |w| = 1, which keeps the network's function.
import { ArgumentError } from '../core/errors.js';
import type { Arena } from '../core/arena.js';
import { scaleUnit, type ECModel, type ECStructure, type ECLayer } from './structure.js';

/** 'preserve' (chain mode): rescales hidden units so every frozen skeleton weight has |w| = 1; the function is unchanged. */
export function preserveInit(model: ECModel & { arena: Arena }, st: ECStructure, who: string): void {
  const L = st.layers.length;
  if (L < 2) return;
  const f32 = (p: number, j: number) => model.arena.f32(p, j + 1)[j];
  const scaleBy = (k: number, unit: number, frozenW: number, inEdge: boolean, where: string) => {
    if (frozenW === 0 || !Number.isFinite(frozenW)) {
      throw new ArgumentError(`${who}: init 'preserve' cannot normalise ${where}: its frozen skeleton weight is ${frozenW}`);
    }
    const c = inEdge ? 1 / Math.abs(frozenW) : Math.abs(frozenW);
    scaleUnit(model, st, k, unit, c);
  };
  const inEdgeW = (x: ECLayer, b: number) => f32(x.layer.paramPtr[0], (b * x.I + (b % x.I)) * x.T + x.dtap);
  const outEdgeW = (y: ECLayer, a: number) => f32(y.layer.paramPtr[0], ((a % y.O) * y.I + a) * y.T + y.dtap);
  if (st.gauge === 'general') {
    for (let l = 1; l <= L - 1; l++) {
      const x = st.layers[l - 1];
      for (let b = 0; b < x.O; b++) scaleBy(l - 1, b, inEdgeW(x, b), true, `unit ${b} of ${x.layer.label}`);
    }
    return;
  }
  const s = st.pivotLayer;
  for (let l = 1; l < s; l++) {
    const x = st.layers[l - 1];
    for (let b = 0; b < x.O; b++) scaleBy(l - 1, b, inEdgeW(x, b), true, `unit ${b} of ${x.layer.label}`);
  }
  for (let l = L - 1; l >= s; l--) {
    const x = st.layers[l - 1];
    const y = st.layers[l];
    for (let a = 0; a < x.O; a++) scaleBy(l - 1, a, outEdgeW(y, a), false, `unit ${a} of ${x.layer.label}`);
  }
}
