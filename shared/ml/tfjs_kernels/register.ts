import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterConfig } from './conv2d_backprop_filter';
import { conv2dBackpropInputConfig } from './conv2d_backprop_input';
import { maxPoolGradConfig } from './max_pool_grad';
import { tileConfig } from './tile';

/** The kernels registered: the missing filter gradient, and three the wasm backend has but measured slow. */
export const FAST_KERNELS: readonly KernelConfig[] = [conv2dBackpropFilterConfig, conv2dBackpropInputConfig, maxPoolGradConfig, tileConfig];

/**
 * Registers the fast convolution gradients for the wasm backend, globally: any TF.js model built of tf.*
 * ops (tf.layers.conv2d included) trains with them once the wasm backend is active. Idempotent.
 */
export function registerFastKernels(): void {
  for (const config of FAST_KERNELS) {
    if (getKernel(config.kernelName, config.backendName) === config) continue;
    if (getKernel(config.kernelName, config.backendName)) unregisterKernel(config.kernelName, config.backendName);
    registerKernel(config);
  }
}
