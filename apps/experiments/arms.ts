// An arm of a study is an optimizer and a starting point: 'sgd' (the model's He-uniform init), or
// 'sgd@torch' (PyTorch's default init), 'sgd@he+unit' (the unit-skeleton network EC-SGD starts from),
// 'ecsgd@torch' (the authors' G-SGD start: PyTorch init, then EC-SGD's unit skeleton), ...
import { OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import type { WeightsInit } from './starts.js';

export type StartId = 'he' | 'torch' | 'he+unit' | 'torch+unit';
export const START_IDS: StartId[] = ['he', 'torch', 'he+unit', 'torch+unit'];

/** What each start means, for tables and reports. */
export const START_LABELS: Record<StartId, string> = {
  he: 'He-uniform init',
  torch: 'torch init',
  'he+unit': "EC-SGD's start",
  'torch+unit': "EC-SGD's torch start",
};

/** An arm: the optimizer and where it starts. */
export interface Arm { id: string; optimizer: OptimizerId; start: StartId; weights: WeightsInit; unitSkeleton: boolean }

/** Parses 'sgd', 'sgd@torch', 'sgd@he+unit', ...; throws RangeError on anything else. */
export function parseArm(id: string): Arm {
  const [opt, start = 'he', ...rest] = id.split('@');
  if (rest.length || !(opt in OPTIMIZER_LABELS)) throw new RangeError(`unknown arm '${id}' (an optimizer id: ${Object.keys(OPTIMIZER_LABELS).join(', ')}, optionally @${START_IDS.join(', @')})`);
  if (!START_IDS.includes(start as StartId)) throw new RangeError(`unknown start '${start}' in '${id}' (one of ${START_IDS.join(', ')})`);
  const s = start as StartId;
  return { id: s === 'he' ? opt : id, optimizer: opt as OptimizerId, start: s, weights: s.startsWith('torch') ? 'torch' : 'he', unitSkeleton: s.endsWith('+unit') };
}

/** The label of an arm: 'SGD', 'SGD (torch init)', "SGD (EC-SGD's start)", ... */
export function armLabel(id: string): string {
  const a = parseArm(id);
  return a.start === 'he' ? OPTIMIZER_LABELS[a.optimizer] : `${OPTIMIZER_LABELS[a.optimizer]} (${START_LABELS[a.start]})`;
}
