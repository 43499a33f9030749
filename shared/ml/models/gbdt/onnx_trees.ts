import { onnx } from 'onnx-proto';
import { ONNX_INPUT, ONNX_OUTPUTS } from '../../onnx_io';
import type { Forest } from './forest';

/**
 * Writes the ensemble as ONNX: `features` is cast to double and fed to one ai.onnx.ml
 * TreeEnsembleRegressor with double thresholds and leaf values (opset 3's `*_as_tensor`), then Sigmoid,
 * Softmax or nothing. The cast costs nothing in accuracy (every float32 is a double) and buys two things:
 * onnxruntime then sums the trees in double, as the trainer's predict does, instead of in float32 (which
 * over hundreds of trees drifts past 1e-5); and the thresholds, float32 values held in doubles, compare
 * with the inputs exactly as during training. Splits are BRANCH_LEQ (left when x ≤ threshold), and
 * `nodes_missing_value_tracks_true` is the trainer's learned direction for NaN.
 */
const ML_DOMAIN = 'ai.onnx.ml';
const IR_VERSION = 8;
const OPSET = 17;
const ML_OPSET = 3;
const { FLOAT, DOUBLE } = onnx.TensorProto.DataType;
const { INT, INTS, STRING, STRINGS, TENSOR } = onnx.AttributeProto.AttributeType;
const text = new TextEncoder();

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: INTS, ints: values });
const doubles = (name: string, values: number[]): onnx.IAttributeProto => {
  const data = Float64Array.from(values);
  return { name, type: TENSOR, t: { name, dims: [data.length], dataType: DOUBLE, rawData: new Uint8Array(data.buffer) } };
};

const floatValue = (name: string, dims: Array<string | number>): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

function ensembleAttributes(forest: Forest): onnx.IAttributeProto[] {
  const node = { tree: [] as number[], id: [] as number[], feature: [] as number[], mode: [] as string[], value: [] as number[] };
  const branch = { yes: [] as number[], no: [] as number[], missingYes: [] as number[] };
  const target = { tree: [] as number[], node: [] as number[], id: [] as number[], weight: [] as number[] };
  forest.trees.forEach((tree, t) => {
    const internal = tree.feature.length;
    // leaf l is node internal + l, after the splits: ids run from 0 within each tree, as ONNX wants
    const idOf = (child: number) => (child >= 0 ? child : internal + ~child);
    for (let k = 0; k < internal; k++) {
      node.tree.push(t);
      node.id.push(k);
      node.feature.push(tree.feature[k]);
      node.mode.push('BRANCH_LEQ');
      node.value.push(tree.threshold[k]);
      branch.yes.push(idOf(tree.left[k]));
      branch.no.push(idOf(tree.right[k]));
      branch.missingYes.push(tree.defaultLeft[k]);
    }
    for (let l = 0; l < tree.leafValue.length; l++) {
      node.tree.push(t);
      node.id.push(internal + l);
      node.feature.push(0);
      node.mode.push('LEAF');
      node.value.push(0);
      branch.yes.push(0);
      branch.no.push(0);
      branch.missingYes.push(0);
      target.tree.push(t);
      target.node.push(internal + l);
      target.id.push(t % forest.numClass);
      target.weight.push(tree.leafValue[l]);
    }
  });
  return [
    { name: 'n_targets', type: INT, i: forest.numClass },
    { name: 'aggregate_function', type: STRING, s: text.encode('SUM') },
    { name: 'post_transform', type: STRING, s: text.encode('NONE') },
    doubles('base_values_as_tensor', Array.from(forest.base)),
    ints('nodes_treeids', node.tree),
    ints('nodes_nodeids', node.id),
    ints('nodes_featureids', node.feature),
    { name: 'nodes_modes', type: STRINGS, strings: node.mode.map((m) => text.encode(m)) },
    doubles('nodes_values_as_tensor', node.value),
    ints('nodes_truenodeids', branch.yes),
    ints('nodes_falsenodeids', branch.no),
    ints('nodes_missing_value_tracks_true', branch.missingYes),
    ints('target_treeids', target.tree),
    ints('target_nodeids', target.node),
    ints('target_ids', target.id),
    doubles('target_weights_as_tensor', target.weight),
  ];
}

export function exportForestOnnx(forest: Forest, docString = ''): Uint8Array {
  const output = ONNX_OUTPUTS[forest.objective];
  const last: onnx.INodeProto =
    forest.objective === 'binary'
      ? { opType: 'Sigmoid', input: ['raw_score'], output: [output], name: 'sigmoid' }
      : forest.objective === 'multiclass'
        ? { opType: 'Softmax', input: ['raw_score'], output: [output], name: 'softmax', attribute: [{ name: 'axis', type: INT, i: 1 }] }
        : { opType: 'Identity', input: ['raw_score'], output: [output], name: 'value' };
  return exportTreeEnsemble(forest, { name: `mloop_gbdt_${forest.objective}`, docString, tail: [last] });
}

/**
 * The ensemble's graph with the given nodes after it: they read `raw_score` (float [N, K], the trees'
 * sums plus the base) and write the task's output. A random forest's averaging reuses it.
 */
export function exportTreeEnsemble(
  forest: Forest,
  graph: { name: string; docString: string; tail: onnx.INodeProto[]; initializer?: onnx.ITensorProto[] },
): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: ML_DOMAIN, version: ML_OPSET },
    ],
    producerName: 'mloop',
    docString: graph.docString,
    graph: {
      name: graph.name,
      node: [
        { opType: 'Cast', input: [ONNX_INPUT], output: ['features_double'], name: 'to_double', attribute: [{ name: 'to', type: INT, i: DOUBLE }] },
        { opType: 'TreeEnsembleRegressor', domain: ML_DOMAIN, input: ['features_double'], output: ['raw_score'], name: 'trees', attribute: ensembleAttributes(forest) },
        ...graph.tail,
      ],
      initializer: graph.initializer ?? [],
      input: [floatValue(ONNX_INPUT, ['N', forest.width])],
      output: [floatValue(ONNX_OUTPUTS[forest.objective], ['N', forest.numClass])],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
