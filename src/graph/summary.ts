// model.summary(): one line per layer with its output shape, parameter count and, for graphs that
// are not a chain, the tensors it reads.
import { sizeOf } from '../layers/layer.js';
import type { Graph } from './graph.js';

/** The summary text of a graph whose node i is named nodeName(i). */
export function summarize(kind: string, g: Graph, nodeName: (i: number) => string, parameterCount: number): string {
  const lines = [`${kind}: input [${g.shapes[0].join(', ')}]`];
  g.nodes.forEach((n, i) => {
    const l = n.layer;
    const p = l.params.reduce((a, s) => a + sizeOf(s.shape), 0);
    const from = g.chain ? '' : `  <- ${n.inputs.map((t) => (t === 0 ? 'input' : nodeName(t - 1))).join(', ')}`;
    lines.push(`  ${nodeName(i)}: ${l.describe().padEnd(28)} -> [${g.shapes[i + 1].join(', ')}]${p ? `  ${p} params` : ''}${from}`);
  });
  lines.push(`  total: ${parameterCount} parameters`);
  return lines.join('\n');
}
