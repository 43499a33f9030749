import { Conv2DBackpropFilter, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { convGeometry } from './conv_geometry';
import { im2colTransposed } from './im2col';
import { callWasmKernel, heapView, reshaped, type WasmBackend } from './wasm_heap';

/**
 * The filter gradient of conv2d, which tfjs-backend-wasm lacks (so tf.layers.conv2d cannot train there):
 * dW[kh,kw,ci,co] = Σ_p patches[p,(kh,kw,ci)] · dy[p,co], i.e. im2col(x)ᵀ · dy, one product done by the
 * backend's own BatchMatMul (XNNPACK, SIMD). The patches are built in the wasm heap, never copied out.
 */
function conv2dBackpropFilter({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown }): TensorInfo {
  const wasm = backend as WasmBackend;
  const { x, dy } = inputs;
  const a = attrs as Parameters<typeof convGeometry>[2] & { filterShape: [number, number, number, number] };
  const g = convGeometry(x.shape as [number, number, number, number], a.filterShape, a);
  const positions = g.batch * g.outHeight * g.outWidth;
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const colsT = wasm.makeOutput([taps, positions], 'float32');
  im2colTransposed(heapView(wasm, x), g, heapView(wasm, colsT));
  const dy2 = reshaped(wasm, dy, [positions, a.filterShape[3]]);
  const dw = callWasmKernel('BatchMatMul', wasm, { a: colsT, b: dy2 }, { transposeA: false, transposeB: false });
  wasm.disposeData(colsT.dataId);
  wasm.disposeData(dy2.dataId);
  const out = reshaped(wasm, dw, a.filterShape);
  wasm.disposeData(dw.dataId);
  return out;
}

export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as KernelConfig['kernelFunc'],
};
