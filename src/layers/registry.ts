// The layer registry: every layer type a spec can name, found through the classes' own `static
// spec` (fields and constructor, layers/fields.ts). Adding a layer adds its class to LAYER_CLASSES.
import { MAX_DIM, tooLarge } from '../core/sizes.js';
import { FormatError } from '../core/errors.js';
import type { Layer } from './layer.js';
import type { LayerSpecType } from './fields.js';
import { Dense } from './dense.js';
import { ReLU, LeakyReLU, PReLU, Sigmoid, Tanh } from './activation.js';
import { Conv2D } from './conv2d.js';
import { DepthwiseConv2D } from './depthwise.js';
import { ChannelPad } from './channel-pad.js';
import { MaxPool2D, AvgPool2D, GlobalAvgPool2D } from './pool2d.js';
import { Flatten } from './flatten.js';
import { Add, Concat } from './merge.js';
import { BatchNorm1D, BatchNorm2D } from './batchnorm.js';
import { Dropout, Dropout2D } from './dropout.js';

/**
 * Every layer class a spec can name (each declares its `static spec`: type, fields, constructor).
 * Adding a layer adds its class here.
 */
const LAYER_CLASSES = [
  Dense, ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten, Add, Concat, BatchNorm1D, BatchNorm2D,
  Dropout, Dropout2D, DepthwiseConv2D, ChannelPad,
];

const KINDS: Record<string, LayerSpecType> = Object.fromEntries(LAYER_CLASSES.map((C) => [C.spec.type, C.spec]));
const KIND_CTORS: Record<string, Function> = Object.fromEntries(LAYER_CLASSES.map((C) => [C.spec.type, C]));

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
