import { outputOfTask, type ModelFamily } from '../family';
import { AUTO_DEFAULTS } from './params';

/**
 * Model recommendation: trains a small portfolio of the tabular families within a time budget and keeps
 * the best on validation by the run's promotion metric. Its model is the winner's, and the manifest
 * names the winner's family, so serving and reports never see `auto`.
 */
export const auto: ModelFamily = {
  name: 'auto',
  tasks: ['binary', 'multiclass', 'regression'],
  defaults: AUTO_DEFAULTS,
  // the candidates' own units travel with their progress; trees come first
  progressUnit: 'iteration',
  takesEpochs: true,
  takesBackend: true,
  takesMetric: true,
  supervised: true,
  onnxOutput: outputOfTask,
};
