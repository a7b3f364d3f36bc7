// The spec schema of layers: how each field of a layer's config() is checked when a spec (a file)
// names it. Every layer class declares its own `static spec` ({ type, fields, make }) with these.
import { isDim } from '../core/sizes.js';
import { WEIGHT_INITS, type Layer, type InitKind } from './layer.js';

/** One field of a layer's spec: required or not, its check, and the expected form for messages. */
export interface Field {
  required: boolean;
  ok: (v: unknown) => boolean;
  expect: string;
}

/** What a layer class declares for specs: its type name, its fields, and how to build it from them. */
export interface LayerSpecType {
  type: string;
  fields: Record<string, Field>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  make: (fields: any) => Layer;
}

const INIT_KINDS = WEIGHT_INITS;
// integer fields are bounded by the same rule as the layer constructors (src/core/sizes.ts: 1..2^24)
const isPair = (v: unknown, min: number) => isDim(v, min) || (Array.isArray(v) && v.length === 2 && isDim(v[0], min) && isDim(v[1], min));

/** The field kinds layers use. */
export const FIELD = {
  posInt: { required: true, ok: (v: unknown) => isDim(v, 1), expect: 'a positive integer' } as Field,
  pair: (required: boolean): Field => ({ required, ok: (v) => isPair(v, 1), expect: 'a positive integer or a pair of them' }),
  bool: { required: false, ok: (v: unknown) => typeof v === 'boolean', expect: 'a boolean' } as Field,
  init: { required: false, ok: (v: unknown) => INIT_KINDS.includes(v as InitKind), expect: `one of ${INIT_KINDS.map((s) => `'${s}'`).join(', ')}` } as Field,
  finite: { required: false, ok: (v: unknown) => typeof v === 'number' && Number.isFinite(v), expect: 'a finite number' } as Field,
  axis: { required: false, ok: (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= -8 && v <= 7, expect: 'an integer in [-8, 7]' } as Field,
  padding: { required: false, ok: (v: unknown) => v === 'same' || isPair(v, 0), expect: "a non-negative integer, a pair of them, or 'same'" } as Field,
};
