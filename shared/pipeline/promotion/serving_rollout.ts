import type { ServedModels } from '../../core/served_models';
import type { ServingRollout } from '../../platform/ports';
import type { ModelDoc } from '../store/documents';

/** Whether the model's production version is still in its canary. */
export function canaryOf(model: ModelDoc): NonNullable<ModelDoc['canary']> | null {
  return model.canary && model.production_version && model.canary.version === model.production_version ? model.canary : null;
}

/**
 * What the scoring service must serve for the registry as it is: every model at its production version,
 * each challenger in shadow; while a model is in its canary, the same set with that model at its
 * previous version keeps the rest of the traffic (the largest canary share, if several are running).
 */
export function servingRollout(models: ModelDoc[]): ServingRollout {
  const target: ServedModels = { models: {}, shadows: {} };
  const stable: ServedModels = { models: {}, shadows: {} };
  let percent = 0;
  for (const model of models) {
    if (!model.production_version) continue;
    const canary = canaryOf(model);
    target.models[model.name] = model.production_version;
    stable.models[model.name] = canary ? canary.previous_version : model.production_version;
    if (canary) percent = Math.max(percent, canary.percent);
    const challenger = model.aliases?.challenger;
    if (challenger && challenger !== model.production_version) {
      target.shadows[model.name] = challenger;
      stable.shadows[model.name] = challenger;
    }
  }
  return percent > 0 ? { target, canary: { percent, stable } } : { target };
}
