// The layer registry: every layer type a spec can name, its fields (the spec schema of its
// config()) and how to construct it from them. Adding a layer adds one entry here.
import { isDim, MAX_DIM, tooLarge } from '../core/sizes.js';
import { FormatError } from '../core/errors.js';
import type { Layer, InitKind } from './layer.js';
import { Dense } from './dense.js';
import { ReLU, LeakyReLU, PReLU, Sigmoid, Tanh } from './activation.js';
import { Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten } from './conv.js';
import { Add, Concat } from './merge.js';

interface Field {
  required: boolean;
  ok: (v: unknown) => boolean;
  expect: string;
}

const INITS: InitKind[] = ['he-uniform', 'he-normal', 'glorot-uniform', 'glorot-normal', 'zeros'];
// integer fields are bounded by the same rule as the layer constructors (src/core/sizes.ts: 1..2^24)
const isInt = (v: unknown, min: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isPair = (v: unknown, min: number) => isDim(v, min) || (Array.isArray(v) && v.length === 2 && isDim(v[0], min) && isDim(v[1], min));

const posInt: Field = { required: true, ok: (v) => isDim(v, 1), expect: 'a positive integer' };
const pairF = (required: boolean): Field => ({ required, ok: (v) => isPair(v, 1), expect: 'a positive integer or a pair of them' });
const bool: Field = { required: false, ok: (v) => typeof v === 'boolean', expect: 'a boolean' };
const init: Field = { required: false, ok: (v) => INITS.includes(v as InitKind), expect: `one of ${INITS.map((s) => `'${s}'`).join(', ')}` };
const finite: Field = { required: false, ok: (v) => typeof v === 'number' && Number.isFinite(v), expect: 'a finite number' };
const int: Field = { required: false, ok: (v) => typeof v === 'number' && Number.isInteger(v) && v >= -8 && v <= 7, expect: 'an integer in [-8, 7]' };
const padding: Field = { required: false, ok: (v) => v === 'same' || isPair(v, 0), expect: "a non-negative integer, a pair of them, or 'same'" };

interface LayerKind {
  fields: Record<string, Field>;
  make: (f: any) => Layer;
}

/** Every layer a spec can name: its fields and how to construct it from them. */
const KINDS: Record<string, LayerKind> = {
  Dense: {
    fields: { inFeatures: posInt, outFeatures: posInt, bias: bool, init },
    make: (f) => new Dense(f.inFeatures, f.outFeatures, { bias: f.bias, init: f.init }),
  },
  ReLU: { fields: {}, make: () => new ReLU() },
  LeakyReLU: { fields: { alpha: finite }, make: (f) => new LeakyReLU(f.alpha) },
  PReLU: { fields: { init: finite }, make: (f) => new PReLU({ init: f.init }) },
  Sigmoid: { fields: {}, make: () => new Sigmoid() },
  Tanh: { fields: {}, make: () => new Tanh() },
  Conv2D: {
    fields: { inChannels: posInt, outChannels: posInt, kernel: pairF(true), stride: pairF(false), padding, dilation: pairF(false), bias: bool, init },
    make: (f) => new Conv2D(f.inChannels, f.outChannels, f.kernel, { stride: f.stride, padding: f.padding, dilation: f.dilation, bias: f.bias, init: f.init }),
  },
  MaxPool2D: { fields: { kernel: pairF(true), stride: pairF(false) }, make: (f) => new MaxPool2D(f.kernel, { stride: f.stride }) },
  AvgPool2D: { fields: { kernel: pairF(true), stride: pairF(false) }, make: (f) => new AvgPool2D(f.kernel, { stride: f.stride }) },
  GlobalAvgPool2D: { fields: {}, make: () => new GlobalAvgPool2D() },
  Flatten: { fields: {}, make: () => new Flatten() },
  Add: { fields: {}, make: () => new Add() },
  Concat: { fields: { axis: int }, make: (f) => new Concat({ axis: f.axis }) },
};
const KIND_CTORS: Record<string, Function> = {
  Dense, ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, Add, Concat,
};
/** A short rendering of a bad value for messages (bounded: specs come from files). */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);


/** The names of the layer types a spec may use. */
export const LAYER_TYPES: readonly string[] = Object.keys(KINDS);

/** True for a layer of a built-in type (only those can be written to a spec). */
export function isBuiltinLayer(l: Layer): boolean {
  return Object.prototype.hasOwnProperty.call(KINDS, l.kind) && l.constructor === KIND_CTORS[l.kind];
}

/**
 * Checks one layer entry of a spec (`at` names it in messages, e.g. "spec.layers[2]") and returns a
 * normalized copy { type, ...fields }; FormatError naming the field otherwise.
 */
export function checkLayerFields(l: Record<string, unknown>, at: string, skip: readonly string[] = []): { type: string; [field: string]: unknown } {
  if (l.type === undefined) throw new FormatError(`${at}: missing field 'type'`);
  if (typeof l.type !== 'string' || !Object.prototype.hasOwnProperty.call(KINDS, l.type)) {
    throw new FormatError(`${at}: unknown layer type ${show(l.type)} (known: ${LAYER_TYPES.join(', ')})`);
  }
  const kind = KINDS[l.type];
  const where = `${at} (${l.type})`;
  const names = Object.keys(kind.fields);
  for (const k of Object.keys(l)) {
    if (k !== 'type' && !skip.includes(k) && !names.includes(k)) {
      throw new FormatError(`${where}: unknown field '${k}' (${names.length ? `fields: ${names.join(', ')}` : `${l.type} has no fields`})`);
    }
  }
  const copy: { type: string; [field: string]: unknown } = { type: l.type };
  for (const [name, f] of Object.entries(kind.fields)) {
    const v = l[name];
    if (v === undefined) {
      if (f.required) throw new FormatError(`${where}: missing field '${name}' (${f.expect})`);
      continue;
    }
    if (!f.ok(v)) throw new FormatError(`${where}: ${name} must be ${f.expect}${tooLarge(v) ? ` (each integer at most ${MAX_DIM})` : ''}, got ${show(v)}`);
    copy[name] = Array.isArray(v) ? v.slice() : v;
  }
  return copy;
}

/** A new layer from checked fields (constructor errors are the caller's to wrap). */
export function layerFromFields(fields: { type: string; [field: string]: unknown }): Layer {
  return KINDS[fields.type].make(fields);
}
