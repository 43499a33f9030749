import { onnx } from 'onnx-proto';
import type { Forest } from './train';
import { encodeModel, floatValue, IR_VERSION, OPSET, tensor } from '../../onnx_graph';
import { ONNX_INPUT, ONNX_OUTPUTS } from '../../onnx_io';

/**
 * The forest as ai.onnx.ml TreeEnsembleRegressor: each leaf's weight is its path length (depth plus
 * c(size)), averaged over the trees, which gives E[h(x)]; standard ops then compute 2^(−E[h]/c(ψ)).
 */
const { INT, STRING, INTS, FLOATS, STRINGS } = onnx.AttributeProto.AttributeType;
const ML_DOMAIN = 'ai.onnx.ml';
const text = (value: string) => new TextEncoder().encode(value);

export function exportIsolationForest(forest: Forest, width: number, docString = ''): Uint8Array {
  const { roots, feature, threshold, left, right, pathLength } = forest;
  const treeOf = new Int32Array(feature.length);
  roots.forEach((root, t) => treeOf.fill(t, root, t + 1 < roots.length ? roots[t + 1] : feature.length));
  const local = (node: number) => node - roots[treeOf[node]];
  const nodes = { treeids: [] as number[], nodeids: [] as number[], featureids: [] as number[], modes: [] as Uint8Array[], values: [] as number[], truenodeids: [] as number[], falsenodeids: [] as number[] };
  const targets = { treeids: [] as number[], nodeids: [] as number[], ids: [] as number[], weights: [] as number[] };
  for (let node = 0; node < feature.length; node++) {
    const leaf = feature[node] < 0;
    nodes.treeids.push(treeOf[node]);
    nodes.nodeids.push(local(node));
    nodes.featureids.push(leaf ? 0 : feature[node]);
    nodes.modes.push(text(leaf ? 'LEAF' : 'BRANCH_LT'));
    nodes.values.push(leaf ? 0 : threshold[node]);
    nodes.truenodeids.push(leaf ? 0 : local(left[node]));
    nodes.falsenodeids.push(leaf ? 0 : local(right[node]));
    if (leaf) {
      targets.treeids.push(treeOf[node]);
      targets.nodeids.push(local(node));
      targets.ids.push(0);
      targets.weights.push(pathLength[node]);
    }
  }
  const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: INTS, ints: values });
  const ensemble: onnx.INodeProto = {
    opType: 'TreeEnsembleRegressor',
    domain: ML_DOMAIN,
    name: 'isolation_trees',
    input: [ONNX_INPUT],
    output: ['mean_path_length'],
    attribute: [
      { name: 'aggregate_function', type: STRING, s: text('AVERAGE') },
      { name: 'post_transform', type: STRING, s: text('NONE') },
      { name: 'n_targets', type: INT, i: 1 },
      ints('nodes_treeids', nodes.treeids),
      ints('nodes_nodeids', nodes.nodeids),
      ints('nodes_featureids', nodes.featureids),
      { name: 'nodes_modes', type: STRINGS, strings: nodes.modes },
      { name: 'nodes_values', type: FLOATS, floats: nodes.values },
      ints('nodes_truenodeids', nodes.truenodeids),
      ints('nodes_falsenodeids', nodes.falsenodeids),
      ints('target_treeids', targets.treeids),
      ints('target_nodeids', targets.nodeids),
      ints('target_ids', targets.ids),
      { name: 'target_weights', type: FLOATS, floats: targets.weights },
    ],
  };
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: ML_DOMAIN, version: 3 },
    ],
    producerName: 'mloop',
    docString,
    graph: {
      name: 'mloop_isolation_forest',
      node: [
        ensemble,
        { opType: 'Mul', input: ['mean_path_length', 'minus_inverse_norm'], output: ['exponent'], name: 'normalise' },
        { opType: 'Pow', input: ['two', 'exponent'], output: [ONNX_OUTPUTS.anomaly], name: 'score' },
      ],
      initializer: [tensor('minus_inverse_norm', [], Float32Array.of(-1 / forest.norm)), tensor('two', [], Float32Array.of(2))],
      input: [floatValue(ONNX_INPUT, width)],
      output: [floatValue(ONNX_OUTPUTS.anomaly, 1)],
    },
  });
}
