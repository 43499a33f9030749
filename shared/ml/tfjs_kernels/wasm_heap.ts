import { getKernel, type DataType, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';

/**
 * What these kernels need of the wasm backend, which tfjs-backend-wasm does not export as a type: every
 * tensor lives in the module's heap, so JavaScript can read and write it in place, and a new one is
 * allocated there by makeOutput.
 */
export interface WasmBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

/** A float32 view of a tensor in the heap. Taken after the last allocation: growing the heap detaches views. */
export const heapView = (backend: WasmBackend, t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;

/** Calls another wasm kernel (XNNPACK's for BatchMatMul) on tensors already in the heap. */
export function callWasmKernel(name: string, backend: WasmBackend, inputs: Record<string, TensorInfo>, attrs: object): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as never }) as TensorInfo;
}

/** The same data seen with another shape (the wasm backend's Reshape shares the buffer). */
export const reshaped = (backend: WasmBackend, x: TensorInfo, shape: number[]): TensorInfo =>
  callWasmKernel('Reshape', backend, { x }, { shape });
