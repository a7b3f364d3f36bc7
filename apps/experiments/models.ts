// The networks the experiments (and the `ecopt` command's --model cnn / widths) train: a ReLU MLP
// from its widths and the small CNN for 28x28 images.
import { Dense, ReLU, Conv2D, MaxPool2D, Flatten, type Layer } from 'ecopt';

/** ReLU MLP from widths, e.g. [784, 64, 10]. */
export function buildMLP(widths: number[], bias = true): Layer[] {
  const layers: Layer[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(new Dense(widths[i - 1], widths[i], { bias }));
    if (i < widths.length - 1) layers.push(new ReLU());
  }
  return layers;
}

/**
 * The small CNN for 1x28x28 inputs: conv 5x5 (c1, same) + ReLU + maxpool 2, conv 5x5 (c2, same) +
 * ReLU + maxpool 2, flatten, dense 10. 'cnn' = 32/64 channels, 'cnn-small' = 8/16.
 */
export function buildCNN(kind: 'cnn' | 'cnn-small' = 'cnn', inChannels = 1, side = 28, classes = 10): Layer[] {
  const [c1, c2] = kind === 'cnn' ? [32, 64] : [8, 16];
  const s = side >> 2; // after two 2x2 pools, rounded down
  return [
    new Conv2D(inChannels, c1, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
    new Conv2D(c1, c2, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
    new Flatten(), new Dense(c2 * s * s, classes),
  ];
}
