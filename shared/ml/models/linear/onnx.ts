import { onnx } from 'onnx-proto';
import { encodeModel, floatShape, floatValue, IR_VERSION, OPSET } from '../../onnx_graph';
import { ONNX_INPUT, type OnnxOutput } from '../../onnx_io';
import type { LinearModel } from './linear_model';

/**
 * A linear model as standard ONNX (ai.onnx only): `features` cast to double, MatMul by the coefficients,
 * Add the intercepts, the head, and a cast back to float. Double because raw columns such as amounts in
 * the thousands times small coefficients cancel in float32 at about 1e-5 of the logit; the trainer's own
 * predict sums in double too.
 */
const { DOUBLE, FLOAT, INT64 } = onnx.TensorProto.DataType;
const { INT } = onnx.AttributeProto.AttributeType;

const doubleTensor = (name: string, dims: number[], values: Float64Array): onnx.ITensorProto => ({
  name,
  dims,
  dataType: DOUBLE,
  rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
});

function headNodes(head: LinearModel['head'], initializer: onnx.ITensorProto[]): onnx.INodeProto[] {
  switch (head) {
    case 'identity':
      return [{ opType: 'Identity', input: ['score'], output: ['answer'], name: 'value' }];
    case 'sigmoid':
      return [{ opType: 'Sigmoid', input: ['score'], output: ['answer'], name: 'sigmoid' }];
    case 'softmax':
      return [{ opType: 'Softmax', input: ['score'], output: ['answer'], name: 'softmax', attribute: [{ name: 'axis', type: INT, i: 1 }] }];
    case 'sigmoid_normalised':
      initializer.push({ name: 'class_axis', dims: [1], dataType: INT64, int64Data: [1] });
      return [
        { opType: 'Sigmoid', input: ['score'], output: ['per_class'], name: 'sigmoid' },
        { opType: 'ReduceSum', input: ['per_class', 'class_axis'], output: ['total'], name: 'total', attribute: [{ name: 'keepdims', type: INT, i: 1 }] },
        { opType: 'Div', input: ['per_class', 'total'], output: ['answer'], name: 'normalise' },
      ];
  }
}

export function exportLinearOnnx(model: LinearModel, output: OnnxOutput, docString = ''): Uint8Array {
  const K = model.bias.length;
  if (model.weights.length !== model.width * K) throw new RangeError(`weights hold ${model.weights.length} values, not ${model.width} × ${K}`);
  const initializer: onnx.ITensorProto[] = [doubleTensor('coefficients', [model.width, K], model.weights), doubleTensor('intercept', [K], model.bias)];
  const node: onnx.INodeProto[] = [
    { opType: 'Cast', input: [ONNX_INPUT], output: ['features_double'], name: 'to_double', attribute: [{ name: 'to', type: INT, i: DOUBLE }] },
    { opType: 'MatMul', input: ['features_double', 'coefficients'], output: ['product'], name: 'linear' },
    { opType: 'Add', input: ['product', 'intercept'], output: ['score'], name: 'intercept' },
    ...headNodes(model.head, initializer),
    { opType: 'Cast', input: ['answer'], output: [output], name: 'to_float', attribute: [{ name: 'to', type: INT, i: FLOAT }] },
  ];
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'mloop',
    docString,
    graph: { name: `mloop_linear_${model.head}`, node, initializer, input: [floatValue(ONNX_INPUT, model.width)], output: [floatShape(output, ['N', K])] },
  });
}

