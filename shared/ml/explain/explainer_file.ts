import { z } from 'zod';
import { MloopError } from '../../core/errors';

/**
 * explainer.json, beside model.onnx in a version folder: what a model's explanation needs that the ONNX
 * graph does not hold — the trees' covers (rows reaching each node, recorded at training), a linear
 * model's column means, a network's weights — and the link from its raw output to the served score.
 */
export const EXPLAINER_FILE = 'explainer.json';

/**
 * From the raw output (the margin) to the served score: logistic (sigmoid), softmax over the outputs,
 * identity (a value, a forest's mean vote), normalise (a forest's class shares divided by their sum),
 * sigmoid_normalised (one-vs-rest sigmoids divided by their sum), isolation (2^(−raw/norm): raw is the
 * mean path length, and a shorter path is a more anomalous row).
 */
export const LINKS = ['logistic', 'softmax', 'identity', 'normalise', 'sigmoid_normalised', 'isolation'] as const;
export type Link = (typeof LINKS)[number];

const numbers = z.array(z.number());

const TreeJson = z.strictObject({
  output: z.number().int().nonnegative(),
  feature: z.array(z.number().int().nonnegative()),
  threshold: numbers,
  default_left: z.array(z.number().int().min(0).max(1)),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  /** Training rows reaching each internal node, then each leaf. */
  cover: numbers,
  value: numbers,
  leaf_cover: numbers,
});
export type TreeJson = z.infer<typeof TreeJson>;

const DenseJson = z.strictObject({ kernel: numbers, bias: numbers, inputs: z.number().int().positive(), units: z.number().int().positive() });

const MemberModels = [
  z.strictObject({
    kind: z.literal('trees'),
    link: z.enum(LINKS),
    outputs: z.number().int().positive(),
    base: numbers,
    /** isolation: c(ψ), the path length the score is normalised by. */
    norm: z.number().positive().optional(),
    trees: z.array(TreeJson),
  }),
  z.strictObject({
    kind: z.literal('linear'),
    link: z.enum(LINKS),
    /** Row-major [width × outputs], on the raw encoded columns, as served. */
    weights: numbers,
    bias: numbers,
    /** Of each encoded column over the training rows. */
    mean: numbers,
  }),
  z.strictObject({
    kind: z.literal('network'),
    link: z.enum(LINKS),
    log_scale: z.array(z.number().int().min(0).max(1)),
    mean: numbers,
    std: numbers,
    /** Relu after every layer but the last, whose output is the raw score. */
    layers: z.array(DenseJson).min(1),
  }),
] as const;

/** A single model's explainer: what a blend's members are. */
export const MemberModel = z.discriminatedUnion('kind', [...MemberModels]);
export type MemberModel = z.infer<typeof MemberModel>;

export const ExplainerModel = z.discriminatedUnion('kind', [
  ...MemberModels,
  /**
   * `auto`'s blend: the served score is Σ weight · (member's served score). Each member's contributions
   * are mapped into score units and weighted (attribution.ts); exact where every member's link is the
   * identity, approximate otherwise.
   */
  z.strictObject({
    kind: z.literal('blend'),
    link: z.literal('identity'),
    members: z.array(z.strictObject({ weight: z.number().positive(), model: MemberModel })).min(1),
  }),
]);

export type ExplainerModel = z.infer<typeof ExplainerModel>;

export function parseExplainer(raw: unknown): ExplainerModel {
  const parsed = ExplainerModel.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MloopError('failed_precondition', `invalid ${EXPLAINER_FILE}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const model = parsed.data;
  for (const m of model.kind === 'blend' ? model.members.map((member) => member.model) : [model]) checkTrees(m);
  return model;
}

function checkTrees(model: MemberModel): void {
  if (model.kind === 'trees') {
    model.trees.forEach((t, i) => {
      const nodes = t.feature.length;
      const leaves = t.value.length;
      if (leaves !== nodes + 1 || t.leaf_cover.length !== leaves || t.cover.length !== nodes || t.threshold.length !== nodes || t.left.length !== nodes || t.right.length !== nodes || t.default_left.length !== nodes || t.output >= model.outputs) {
        throw new MloopError('failed_precondition', `invalid ${EXPLAINER_FILE}: tree ${i} has inconsistent arrays`);
      }
      // a child comes after its parent, so that no path loops
      for (let k = 0; k < nodes; k++) {
        for (const child of [t.left[k], t.right[k]]) {
          if (child >= nodes || ~child >= leaves || (child >= 0 && child <= k)) throw new MloopError('failed_precondition', `invalid ${EXPLAINER_FILE}: tree ${i} node ${k} points outside the tree`);
        }
      }
    });
  }
}
