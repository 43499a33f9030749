import type { ExplainerModel, Link } from '../../explain/explainer_file';
import type { LinearModel } from './linear_model';

const LINK_OF_HEAD: Record<LinearModel['head'], Link> = { sigmoid: 'logistic', softmax: 'softmax', identity: 'identity', sigmoid_normalised: 'sigmoid_normalised' };

/** The served linear map and the training mean of each encoded column: its exact contributions need no more. */
export function linearExplainer(model: LinearModel, mean: Float64Array): ExplainerModel {
  return { kind: 'linear', link: LINK_OF_HEAD[model.head], weights: Array.from(model.weights), bias: Array.from(model.bias), mean: Array.from(mean) };
}
