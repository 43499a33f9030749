import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels } from '../../../../shared/ml/tfjs_kernels/register';

/**
 * Runs one kernel by name on tfjs's pure-JS cpu backend (the reference) and on the wasm backend with the
 * fast kernels registered, on the same inputs, and answers both results as plain arrays.
 */
export interface Input {
  values: Float32Array;
  shape: number[];
}

export async function useWasmWithFastKernels(): Promise<void> {
  registerFastKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
}

function run(backend: 'cpu' | 'wasm', kernel: string, inputs: Record<string, Input>, attrs: object, derived?: (t: Record<string, tf.Tensor>) => Record<string, tf.Tensor>): { values: Float32Array; shape: number[] } {
  const previous = tf.getBackend();
  tf.setBackend(backend);
  try {
    return tf.tidy(() => {
      let tensors: Record<string, tf.Tensor> = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
      if (derived) tensors = { ...tensors, ...derived(tensors) };
      const out = tf.engine().runKernel(kernel, tensors as never, attrs as never) as tf.Tensor;
      return { values: out.dataSync() as Float32Array, shape: out.shape };
    });
  } finally {
    tf.setBackend(previous);
  }
}

export function onBothBackends(kernel: string, inputs: Record<string, Input>, attrs: object, derived?: (t: Record<string, tf.Tensor>) => Record<string, tf.Tensor>) {
  return { cpu: run('cpu', kernel, inputs, attrs, derived), wasm: run('wasm', kernel, inputs, attrs, derived) };
}

/** Deterministic uniform values in [-1, 1). */
export function randomValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Conv cases: batch, size, channels, filter, stride, padding all varied, deterministic per index. */
export function convCases(count: number) {
  const pick = <T>(xs: T[], i: number, salt: number) => xs[(i * 7 + salt * 13 + Math.floor(i / 3)) % xs.length];
  return Array.from({ length: count }, (_, i) => ({
    batch: pick([1, 2, 3], i, 1),
    height: pick([5, 6, 7, 9], i, 2),
    width: pick([5, 8, 6], i, 3),
    inChannels: pick([1, 2, 3, 5], i, 4),
    outChannels: pick([1, 4, 3, 6], i, 5),
    filterHeight: pick([1, 2, 3], i, 6),
    filterWidth: pick([3, 1, 2], i, 7),
    stride: pick([1, 2, 3, [2, 1]] as Array<number | [number, number]>, i, 8),
    pad: pick(['same', 'valid'] as const, i, 9),
  }));
}
