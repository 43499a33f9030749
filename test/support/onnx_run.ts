import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';

/** Runs an exported model under onnxruntime on encoded rows, as the scorer would. */
export async function runOnnx(bytes: Uint8Array, X: Float32Array, n: number, width: number, output: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ features: new ort.Tensor('float32', X, [n, width]) });
    return result[output].data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The graph's outputs as [name, shape], and its operators. */
export function graphOf(bytes: Uint8Array): { outputs: Array<[string, Array<string | number>]>; ops: string[]; opsets: Array<[string, number]> } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto;
  const shape = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  return {
    outputs: graph.output.map((o) => [o.name!, shape(o)]),
    ops: graph.node.map((n) => n.opType!),
    opsets: model.opsetImport.map((o) => [o.domain ?? '', Number(o.version)]),
  };
}
