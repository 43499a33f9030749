import { onnx } from 'onnx-proto';

/** The small pieces every mloop ONNX exporter builds its graph from. */
export const OPSET = 17;
export const IR_VERSION = 8;
const { FLOAT } = onnx.TensorProto.DataType;

// raw_data is little-endian, which is what typed arrays hold on every platform Node runs on
const bytesOf = (values: Float32Array | Uint8Array) => new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));

export const tensor = (name: string, dims: number[], values: Float32Array | Uint8Array, dataType: number = FLOAT): onnx.ITensorProto => ({
  name,
  dims,
  dataType,
  rawData: bytesOf(values),
});

/** A float matrix [N, width] with N free: the batch of rows. */
export const floatValue = (name: string, width: number): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } },
});

/** A float tensor of any rank; a string dimension is free (the batch). */
export const floatShape = (name: string, dims: Array<number | string>): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
