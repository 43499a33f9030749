import { getKernel, type DataType, type KernelBackend, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';

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

/** The wasm backend's own kernels that registerFastKernels replaced, for the cases a fast one hands back. */
export const replacedKernels = new Map<string, KernelConfig>();

const setUp = new WeakMap<object, Set<string>>();

export function callReplacedKernel(name: string, args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown }): TensorInfo {
  const original = replacedKernels.get(name);
  if (!original) throw new Error(`the wasm backend's own ${name} kernel was not kept when it was replaced`);
  // The backend runs a kernel's setup (binding its wasm function) only for kernels registered when it
  // starts, so one replaced before that is bound here, once per backend.
  const backend = args.backend as KernelBackend;
  const done = setUp.get(backend) ?? new Set<string>();
  if (original.setupFunc && !done.has(name)) original.setupFunc(backend);
  setUp.set(backend, done.add(name));
  return original.kernelFunc(args as never) as TensorInfo;
}
