import { Conv2DBackpropInput, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { convGeometry } from './conv_geometry';
import { col2im } from './im2col';
import { callWasmKernel, heapView, reshaped, type WasmBackend } from './wasm_heap';

/**
 * The input gradient of conv2d: the patches' gradient dy · Wᵀ by the backend's BatchMatMul (XNNPACK; Wᵀ
 * is transposed here, it is small, because a transposed operand sends BatchMatMul to its slow loop), then
 * col2im adds each patch back onto its pixels. Replaces tfjs-backend-wasm's own kernel, a scalar loop.
 */
function conv2dBackpropInput({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown }): TensorInfo {
  const wasm = backend as WasmBackend;
  const { dy, filter } = inputs;
  const a = attrs as Parameters<typeof convGeometry>[2] & { inputShape: [number, number, number, number] };
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const g = convGeometry(a.inputShape, [kh, kw, ci, co], a);
  const positions = g.batch * g.outHeight * g.outWidth;
  const taps = kh * kw * ci;
  const wT = wasm.makeOutput([co, taps], 'float32');
  const dy2 = reshaped(wasm, dy, [positions, co]);
  const w = heapView(wasm, filter);
  const t = heapView(wasm, wT);
  for (let k = 0; k < taps; k++) for (let c = 0; c < co; c++) t[c * taps + k] = w[k * co + c];
  const dcols = callWasmKernel('BatchMatMul', wasm, { a: dy2, b: wT }, { transposeA: false, transposeB: false });
  wasm.disposeData(dy2.dataId);
  wasm.disposeData(wT.dataId);
  const dx = wasm.makeOutput(a.inputShape, 'float32');
  col2im(heapView(wasm, dcols), g, heapView(wasm, dx));
  wasm.disposeData(dcols.dataId);
  return dx;
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as KernelConfig['kernelFunc'],
};
