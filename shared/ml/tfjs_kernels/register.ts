import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
import { batchMatMulConfig } from './batch_mat_mul';
import { conv2dBackpropFilterConfig } from './conv2d_backprop_filter';
import { conv2dBackpropInputConfig } from './conv2d_backprop_input';
import { maxPoolGradConfig } from './max_pool_grad';
import { meanConfig, sumConfig } from './reduce_leading_axes';
import { tileConfig } from './tile';
import { replacedKernels } from './wasm_heap';

/** The kernels registered: the missing filter gradient, and six the wasm backend has but measured slow. */
export const FAST_KERNELS: readonly KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  maxPoolGradConfig,
  tileConfig,
  sumConfig,
  meanConfig,
  batchMatMulConfig,
];

/**
 * Registers the fast convolution-training kernels for the wasm backend, globally: any TF.js model built
 * of tf.* ops (tf.layers.conv2d included) trains with them once the wasm backend is active. The wasm
 * backend's own kernels are kept for the cases a fast one does not cover. Idempotent.
 */
export function registerFastKernels(): void {
  for (const config of FAST_KERNELS) {
    const current = getKernel(config.kernelName, config.backendName);
    if (current === config) continue;
    if (current) {
      replacedKernels.set(config.kernelName, current);
      unregisterKernel(config.kernelName, config.backendName);
    }
    registerKernel(config);
  }
}
