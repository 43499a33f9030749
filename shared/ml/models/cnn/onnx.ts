import { onnx } from 'onnx-proto';
import { MloopError } from '../../../core/errors';
import type { ImageSpec } from '../../../data/images/image_spec';
import { encodeModel, floatShape, IR_VERSION, OPSET, tensor } from '../../onnx_graph';
import { ONNX_IMAGE_INPUT, ONNX_OUTPUTS } from '../../onnx_io';
import { BN_EPSILON, flattens, KERNEL_SIDE, type CnnWeights, type ConvBlock } from './weights';

/**
 * Writes a trained CNN as a standard ONNX graph, and reads its weights back for a warm start. The input
 * is NHWC as the image contract says; a Transpose turns it to the NCHW that ONNX's Conv takes. Batch norm
 * stays a BatchNormalization node rather than being folded into the convolution: onnxruntime folds it
 * when it loads the model, and kept apart its statistics survive for fine-tuning the next version.
 */
export interface CnnGraph {
  weights: CnnWeights;
  spec: ImageSpec;
  classes: readonly string[];
}

const { INT, INTS, FLOAT } = onnx.AttributeProto.AttributeType;
const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: INTS, ints: values });

/** HWIO, as TensorFlow.js holds a kernel, to OIHW, as ONNX's Conv wants it. */
function toOihw(block: ConvBlock): Float32Array {
  const { inputs, filters, kernel } = block;
  const out = new Float32Array(kernel.length);
  for (let h = 0; h < KERNEL_SIDE; h++)
    for (let w = 0; w < KERNEL_SIDE; w++)
      for (let i = 0; i < inputs; i++)
        for (let o = 0; o < filters; o++) out[((o * inputs + i) * KERNEL_SIDE + h) * KERNEL_SIDE + w] = kernel[((h * KERNEL_SIDE + w) * inputs + i) * filters + o];
  return out;
}

function toHwio(oihw: Float32Array, inputs: number, filters: number): Float32Array {
  const out = new Float32Array(oihw.length);
  for (let o = 0; o < filters; o++)
    for (let i = 0; i < inputs; i++)
      for (let h = 0; h < KERNEL_SIDE; h++)
        for (let w = 0; w < KERNEL_SIDE; w++) out[((h * KERNEL_SIDE + w) * inputs + i) * filters + o] = oihw[((o * inputs + i) * KERNEL_SIDE + h) * KERNEL_SIDE + w];
  return out;
}

export function exportCnnOnnx({ weights, spec, classes }: CnnGraph, docString = ''): Uint8Array {
  const K = weights.dense.classes;
  if (K !== classes.length) throw new RangeError(`${classes.length} class names for ${K} outputs`);
  if (weights.blocks[0]?.inputs !== spec.channels) throw new RangeError(`the first convolution reads ${weights.blocks[0]?.inputs} channels, the images have ${spec.channels}`);
  const output = ONNX_OUTPUTS.multiclass;
  const initializer: onnx.ITensorProto[] = [];
  const node: onnx.INodeProto[] = [{ opType: 'Transpose', input: [ONNX_IMAGE_INPUT], output: ['h0'], name: 'nhwc_to_nchw', attribute: [ints('perm', [0, 3, 1, 2])] }];
  weights.blocks.forEach((block, k) => {
    const n = block.filters;
    initializer.push(
      tensor(`conv${k}_W`, [n, block.inputs, KERNEL_SIDE, KERNEL_SIDE], toOihw(block)),
      tensor(`bn${k}_scale`, [n], block.gamma),
      tensor(`bn${k}_bias`, [n], block.beta),
      tensor(`bn${k}_mean`, [n], block.movingMean),
      tensor(`bn${k}_var`, [n], block.movingVariance),
    );
    node.push(
      {
        opType: 'Conv',
        input: [`h${k}`, `conv${k}_W`],
        output: [`conv${k}`],
        name: `conv${k}`,
        attribute: [ints('kernel_shape', [KERNEL_SIDE, KERNEL_SIDE]), ints('pads', [1, 1, 1, 1]), ints('strides', [1, 1])],
      },
      {
        opType: 'BatchNormalization',
        input: [`conv${k}`, `bn${k}_scale`, `bn${k}_bias`, `bn${k}_mean`, `bn${k}_var`],
        output: [`bn${k}`],
        name: `bn${k}`,
        attribute: [{ name: 'epsilon', type: FLOAT, f: BN_EPSILON }],
      },
      { opType: 'Relu', input: [`bn${k}`], output: [`relu${k}`], name: `relu${k}` },
      { opType: 'MaxPool', input: [`relu${k}`], output: [`h${k + 1}`], name: `pool${k}`, attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
    );
  });
  const last = `h${weights.blocks.length}`;
  initializer.push(tensor('dense_W', [weights.dense.features, K], weights.dense.kernel), tensor('dense_b', [K], weights.dense.bias));
  node.push(
    ...(flattens(weights)
      ? // back to NHWC before flattening, so that the dense rows are in TensorFlow.js' order
        [
          { opType: 'Transpose', input: [last], output: ['maps_nhwc'], name: 'nchw_to_nhwc', attribute: [ints('perm', [0, 2, 3, 1])] },
          { opType: 'Flatten', input: ['maps_nhwc'], output: ['pooled'], name: 'flatten', attribute: [{ name: 'axis', type: INT, i: 1 }] },
        ]
      : [
          { opType: 'GlobalAveragePool', input: [last], output: ['gap'], name: 'global_average_pool' },
          { opType: 'Flatten', input: ['gap'], output: ['pooled'], name: 'flatten', attribute: [{ name: 'axis', type: INT, i: 1 }] },
        ]),
    { opType: 'Gemm', input: ['pooled', 'dense_W', 'dense_b'], output: ['logits'], name: 'dense' },
    { opType: 'Softmax', input: ['logits'], output: [output], name: 'softmax', attribute: [{ name: 'axis', type: INT, i: 1 }] },
  );
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'mloop',
    docString,
    // the preprocessing the input expects and what each output column is, readable without the manifest
    metadataProps: [
      { key: 'image_spec', value: JSON.stringify(spec) },
      { key: 'classes', value: JSON.stringify(classes) },
    ],
    graph: {
      name: 'mloop_cnn',
      node,
      initializer,
      input: [floatShape(ONNX_IMAGE_INPUT, ['N', spec.size, spec.size, spec.channels])],
      output: [floatShape(output, ['N', K])],
    },
  };
  return encodeModel(model);
}

/** The weights of a CNN this module exported, for a warm start; refuses any other graph. */
export function readCnnWeights(bytes: Uint8Array): CnnWeights {
  let graph: onnx.IGraphProto | null | undefined;
  try {
    graph = onnx.ModelProto.decode(bytes).graph;
  } catch (err) {
    throw new MloopError('invalid_argument', `the previous model is not an ONNX file: ${(err as Error).message}`);
  }
  const byName = new Map((graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const read = (name: string): { dims: number[]; values: Float32Array } => {
    const t = byName.get(name);
    if (!t?.rawData || t.dataType !== onnx.TensorProto.DataType.FLOAT) throw new MloopError('invalid_argument', `the previous model is not an mloop CNN: it has no float tensor ${name}`);
    // protobuf hands back a view into a shared buffer, maybe not 4-byte aligned: copied first
    const bytes = new Uint8Array(t.rawData);
    return { dims: (t.dims ?? []).map(Number), values: new Float32Array(bytes.buffer, 0, bytes.length / 4) };
  };
  const blocks: ConvBlock[] = [];
  for (let k = 0; byName.has(`conv${k}_W`); k++) {
    const { dims, values } = read(`conv${k}_W`);
    const [filters, inputs] = dims;
    blocks.push({
      inputs,
      filters,
      kernel: toHwio(values, inputs, filters),
      gamma: read(`bn${k}_scale`).values,
      beta: read(`bn${k}_bias`).values,
      movingMean: read(`bn${k}_mean`).values,
      movingVariance: read(`bn${k}_var`).values,
    });
  }
  if (blocks.length === 0) throw new MloopError('invalid_argument', 'the previous model is not an mloop CNN: it has no convolution');
  const { dims, values } = read('dense_W');
  return { blocks, dense: { kernel: values, bias: read('dense_b').values, features: dims[0], classes: dims[1] } };
}
