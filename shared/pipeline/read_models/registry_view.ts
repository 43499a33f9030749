import type { Context } from '../context';
import { canaryOf } from '../promotion/serving_rollout';
import type { CanaryState, ModelVersionDoc } from '../store/documents';
import { storeOf } from '../store';
import { listModels, type ModelView } from './listings';

/**
 * The registry as the dashboard shows it: per model, the live version and the aliases (from the
 * model document), and every version with its stage and its trail of transitions.
 */
export interface RegistryModel {
  name: string;
  production_version: string | null;
  previous_version: string | null;
  /** A promotion still in its canary: `version` gets `percent` % of the requests, `previous_version` the rest. */
  canary: CanaryState | null;
  aliases: Record<string, string>;
  versions: Array<ModelView & { history: NonNullable<ModelVersionDoc['history']> }>;
}

export async function registryView(ctx: Context): Promise<RegistryModel[]> {
  const store = storeOf(ctx);
  const [models, versions, histories] = await Promise.all([store.models.list(), listModels(ctx), store.versions.list()]);
  // keyed by both names: a version label is only unique within its model
  const key = (model: string, version: string) => JSON.stringify([model, version]);
  const historyOf = new Map(histories.map((v) => [key(v.model, v.version), v.history ?? []]));
  return models
    .map((data) => ({
      name: data.name,
      production_version: data.production_version,
      previous_version: data.previous_version,
      canary: canaryOf(data),
      aliases: data.aliases ?? {},
      versions: versions.filter((v) => v.model === data.name).map((v) => ({ ...v, history: historyOf.get(key(v.model, v.version)) ?? [] })),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
