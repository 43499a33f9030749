import { onnx } from 'onnx-proto';
import { encodeModel, floatValue, IR_VERSION, OPSET, tensor } from '../../onnx_graph';
import { ONNX_INPUT, ONNX_OUTPUTS } from '../../onnx_io';

/**
 * Writes a trained dense network as ONNX for onnxruntime-node. The input preprocessing — a signed log
 * on skewed columns, then standardisation — is part of the graph, so that the serving side feeds the
 * raw encoded features and cannot scale them differently from the trainer.
 */
export interface DenseLayer {
  /** Row-major [inputs × units], as TensorFlow.js stores a dense kernel. */
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
}

export interface DenseNetwork {
  /** 1 where the column goes through sign(x)·log(1 + |x|) before standardisation. */
  logScale: Uint8Array;
  /** Of the (log-scaled) training columns. */
  mean: Float32Array;
  std: Float32Array;
  /** Relu after every layer but the last, whose units and activation are the head's. */
  layers: DenseLayer[];
  /**
   * sigmoid: one unit, P(positive); softmax: one unit per class; identity: one unit, the value itself
   * (the target's scaling is folded into the last layer).
   */
  head: 'sigmoid' | 'softmax' | 'identity';
}

const HEAD_OUTPUT = { sigmoid: ONNX_OUTPUTS.binary, softmax: ONNX_OUTPUTS.multiclass, identity: ONNX_OUTPUTS.regression } as const;
const { BOOL } = onnx.TensorProto.DataType;

/** sign(x)·log(1 + |x|) where the mask says so, x elsewhere. */
function signedLog(mask: Uint8Array, initializer: onnx.ITensorProto[]): onnx.INodeProto[] {
  initializer.push(tensor('log_mask', [mask.length], mask, BOOL), tensor('one', [], Float32Array.of(1)));
  return [
    { opType: 'Abs', input: [ONNX_INPUT], output: ['abs'], name: 'abs' },
    { opType: 'Add', input: ['abs', 'one'], output: ['abs_plus_one'], name: 'plus_one' },
    { opType: 'Log', input: ['abs_plus_one'], output: ['log_abs'], name: 'log' },
    { opType: 'Sign', input: [ONNX_INPUT], output: ['sign'], name: 'sign' },
    { opType: 'Mul', input: ['sign', 'log_abs'], output: ['signed_log'], name: 'signed_log' },
    { opType: 'Where', input: ['log_mask', 'signed_log', ONNX_INPUT], output: ['scaled'], name: 'log_where_masked' },
  ];
}

export function exportOnnx(net: DenseNetwork, docString = ''): Uint8Array {
  const width = net.mean.length;
  if (net.std.length !== width || net.logScale.length !== width) throw new RangeError('logScale, mean and std differ in length');
  const outputs = net.layers.length > 0 ? net.layers[net.layers.length - 1].units : 0;
  if (net.head === 'softmax' ? outputs < 2 : outputs !== 1) throw new RangeError(`a ${net.head} head cannot have ${outputs} output units`);
  const output = HEAD_OUTPUT[net.head];
  const initializer: onnx.ITensorProto[] = [tensor('mean', [width], net.mean), tensor('std', [width], net.std)];
  const logged = net.logScale.some((m) => m === 1);
  const node: onnx.INodeProto[] = [
    ...(logged ? signedLog(net.logScale, initializer) : []),
    { opType: 'Sub', input: [logged ? 'scaled' : ONNX_INPUT, 'mean'], output: ['centred'], name: 'centre' },
    { opType: 'Div', input: ['centred', 'std'], output: ['h0'], name: 'standardise' },
  ];
  let inputs = width;
  net.layers.forEach((layer, k) => {
    if (layer.inputs !== inputs || layer.kernel.length !== layer.inputs * layer.units || layer.bias.length !== layer.units) {
      throw new RangeError(`layer ${k} does not fit: expected ${inputs} inputs`);
    }
    const last = k === net.layers.length - 1;
    initializer.push(tensor(`W${k}`, [layer.inputs, layer.units], layer.kernel), tensor(`b${k}`, [layer.units], layer.bias));
    node.push({ opType: 'Gemm', input: [`h${k}`, `W${k}`, `b${k}`], output: [`z${k}`], name: `dense${k}` });
    if (!last) node.push({ opType: 'Relu', input: [`z${k}`], output: [`h${k + 1}`], name: `relu${k}` });
    else if (net.head === 'sigmoid') node.push({ opType: 'Sigmoid', input: [`z${k}`], output: [output], name: 'sigmoid' });
    else if (net.head === 'softmax') node.push({ opType: 'Softmax', input: [`z${k}`], output: [output], name: 'softmax', attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] });
    else node.push({ opType: 'Identity', input: [`z${k}`], output: [output], name: 'value' });
    inputs = layer.units;
  });
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'mloop',
    docString,
    graph: {
      name: `mloop_dense_${net.head}`,
      node,
      initializer,
      input: [floatValue(ONNX_INPUT, width)],
      output: [floatValue(output, outputs)],
    },
  };
  return encodeModel(model);
}
