import { Mean, Sum, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { callReplacedKernel, heapView, type WasmBackend } from './wasm_heap';

/**
 * Sum and Mean over the leading axes of a float32 tensor (batch norm's statistics and gradients reduce
 * NHWC over N, H and W at every step), as one pass adding rows of the trailing size. tfjs-backend-wasm
 * first transposes the reduced axes to the end, a copy of the whole tensor. Every other case goes to the
 * wasm backend's own kernel.
 */
function reduction(name: typeof Sum | typeof Mean) {
  return (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown }): TensorInfo => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return callReplacedKernel(name, args);
    const wasm = args.backend as WasmBackend;
    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const kept = x.shape.slice(axes.length);
    const width = util.sizeFromShape(kept);
    const out = wasm.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
    const values = heapView(wasm, x);
    const acc = new Float64Array(width);
    for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < width; j++, o++) acc[j] += values[o];
    const result = heapView(wasm, out);
    const scale = name === Mean ? 1 / rows : 1;
    for (let j = 0; j < width; j++) result[j] = acc[j] * scale;
    return out;
  };
}

export const sumConfig: KernelConfig = { kernelName: Sum, backendName: 'wasm', kernelFunc: reduction(Sum) as KernelConfig['kernelFunc'] };
export const meanConfig: KernelConfig = { kernelName: Mean, backendName: 'wasm', kernelFunc: reduction(Mean) as KernelConfig['kernelFunc'] };
