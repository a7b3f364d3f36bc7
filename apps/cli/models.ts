// The --model option: MLP widths, the built-in CNNs or a JSON model spec, built for a dataset.
import { Sequential, type Dataset, type DatasetImages } from 'ecopt';
import { buildMLP, buildCNN } from '../experiments/models.js';
import { UsageError } from './args.js';

/** Builds the --model for the dataset's sample shape and classes, seeded with --seed (unless a spec file fixes its seed). */
export async function buildModel(spec: string, data: Dataset<DatasetImages>, seed: number): Promise<{ model: Sequential; desc: string }> {
  const [C, Hh, Ww] = data.shape.length === 3 ? data.shape : [1, 1, data.shape[0]];
  const features = C * Hh * Ww;
  if (spec === 'cnn' || spec === 'cnn-small') {
    if (Hh !== Ww) throw new UsageError(`--model ${spec} needs square images, the dataset has ${Hh}x${Ww}`);
    return { model: new Sequential(buildCNN(spec, C, Hh, data.classes), { seed, inputShape: [C, Hh, Ww] }), desc: spec === 'cnn' ? 'CNN 32/64' : 'CNN 8/16' };
  }
  if (/^\d+(-\d+)+$/.test(spec)) {
    const widths = spec.split('-').map(Number);
    if (widths.some((w) => w <= 0)) throw new UsageError(`--model widths must be positive, got '${spec}'`);
    if (widths[0] !== features) throw new UsageError(`--model must start with ${features} (the dataset's images have ${features} values), got ${widths[0]}`);
    if (widths[widths.length - 1] !== data.classes) throw new UsageError(`--model must end with ${data.classes} (the number of classes), got ${widths[widths.length - 1]}`);
    return { model: new Sequential(buildMLP(widths), { seed }), desc: `MLP ${spec}` };
  }
  if (spec.endsWith('.json') || spec.includes('/')) {
    const fs = await import('node:fs/promises');
    let text: string;
    try { text = await fs.readFile(spec, 'utf8'); } catch (e) { throw new Error(`cannot read the model spec ${spec}: ${(e as Error).message}`); }
    const fromSpec = (Sequential as unknown as { fromSpec?: (s: string | object) => Sequential }).fromSpec;
    if (typeof fromSpec !== 'function') throw new Error('JSON model specs need Sequential.fromSpec, which this build does not have');
    let json: Record<string, unknown>;
    try { json = JSON.parse(text); } catch (e) { throw new Error(`${spec} is not valid JSON: ${(e as Error).message}`); }
    // --seed decides the initialization unless the spec file fixes one
    if (json && typeof json === 'object' && json.seed === undefined) json = { ...json, seed };
    const model = fromSpec.call(Sequential, json);
    if (model.classes !== data.classes) { model.dispose(); throw new Error(`the model in ${spec} outputs ${model.classes} classes, the dataset has ${data.classes}`); }
    return { model, desc: `spec ${spec}` };
  }
  throw new UsageError(`--model must be widths like 784-256-10, 'cnn', 'cnn-small' or a path to a JSON spec, got '${spec}'`);
}
