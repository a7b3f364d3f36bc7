// Parameter groups (torch.optim param groups): layers with their own learning rate and weight
// decay. A group's layers are found in the model (by the layer object, its node index or its name)
// and turned into ranges of the parameter region, so an update kernel runs once per range.
import { ArgumentError, checkNumber, describeValue } from '../core/errors.js';
import type { Layer } from '../layers/layer.js';

/** A group as given in the options: its layers (objects, node indices or names), lr and weight decay. */
export interface ParamGroupOptions {
  layers: (Layer | number | string)[];
  /** This group's learning rate at the start (default: the optimizer's); schedules scale it. */
  lr?: number;
  /** This group's weight decay (default: the optimizer's), e.g. 0 for biases and norms. */
  weightDecay?: number;
}

/** A checked group: the model's layers it holds, its lr and weight decay. */
export interface ParamGroup {
  layers: Layer[];
  lr?: number;
  weightDecay?: number;
}

/** A contiguous range of the parameter region (floats) and the group it belongs to (-1: default). */
export interface GroupRange {
  start: number;
  count: number;
  group: number;
}

interface GroupModel {
  readonly layers: Layer[];
  readonly paramBase: number;
  readonly paramRegionFloats: number;
}

/** Checks the groups option against the model; ArgumentError naming the group and the problem. */
export function checkGroups(groups: unknown, model: GroupModel, who: string): ParamGroup[] {
  if (!Array.isArray(groups)) throw new ArgumentError(`${who}: groups must be an array of { layers, lr?, weightDecay? }, got ${describeValue(groups)}`);
  const owner = new Map<Layer, number>();
  return groups.map((g: unknown, i: number) => {
    const at = `${who}: groups[${i}]`;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new ArgumentError(`${at} must be an object { layers, lr?, weightDecay? }, got ${describeValue(g)}`);
    const o = g as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['layers', 'lr', 'weightDecay'].includes(k)) throw new ArgumentError(`${at}: unknown field '${k}' (fields: layers, lr, weightDecay)`);
    if (!Array.isArray(o.layers) || o.layers.length === 0) throw new ArgumentError(`${at}.layers must be a non-empty array of layers of the model (or their indices or names)`);
    const layers = o.layers.map((ref: unknown) => {
      const layer = typeof ref === 'number' ? model.layers[ref]
        : typeof ref === 'string' ? model.layers.find((l) => l.name === ref)
          : model.layers.find((l) => l === ref);
      if (!layer) throw new ArgumentError(`${at}.layers: ${typeof ref === 'object' ? 'a layer that is not in this model' : describeValue(ref)} is not a layer of this model`);
      if (owner.has(layer)) throw new ArgumentError(`${at}.layers: ${layer.label} is already in groups[${owner.get(layer)}]; a layer belongs to one group`);
      owner.set(layer, i);
      return layer;
    });
    const out: ParamGroup = { layers };
    if (o.lr !== undefined) out.lr = checkNumber(o.lr, `${at}.lr`, 0, Infinity, true);
    if (o.weightDecay !== undefined) out.weightDecay = checkNumber(o.weightDecay, `${at}.weightDecay`, 0, Infinity);
    return out;
  });
}

/**
 * The region split into ranges by group, in region order, adjacent ranges of one group merged.
 * Each parameter tensor is 16-byte aligned and its padding belongs to it, so ranges tile the region.
 */
export function groupRanges(groups: ParamGroup[], model: GroupModel): GroupRange[] {
  const groupOf = new Map<Layer, number>();
  groups.forEach((g, i) => g.layers.forEach((l) => groupOf.set(l, i)));
  const starts: { start: number; group: number }[] = [];
  for (const l of model.layers) {
    for (const p of l.paramPtr) starts.push({ start: (p - model.paramBase) / 4, group: groupOf.get(l) ?? -1 });
  }
  const ranges: GroupRange[] = [];
  starts.forEach((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].start : model.paramRegionFloats;
    const last = ranges[ranges.length - 1];
    if (last && last.group === s.group) last.count = end - last.start;
    else ranges.push({ start: i === 0 ? 0 : s.start, count: end - (i === 0 ? 0 : s.start), group: s.group });
  });
  if (ranges.length === 0) ranges.push({ start: 0, count: model.paramRegionFloats, group: -1 });
  return ranges;
}

/** The groups as data for a checkpoint: layers by node index. */
export function groupsAsData(groups: ParamGroup[], model: GroupModel): Record<string, unknown>[] {
  return groups.map((g) => ({
    layers: g.layers.map((l) => model.layers.indexOf(l)),
    ...(g.lr !== undefined ? { lr: g.lr } : {}),
    ...(g.weightDecay !== undefined ? { weightDecay: g.weightDecay } : {}),
  }));
}
