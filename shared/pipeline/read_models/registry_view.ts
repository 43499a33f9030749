import type { Context } from '../context';
import { modelVersionId } from '../../core/ids';
import { canaryOf } from '../promotion/serving_rollout';
import { COLLECTIONS, type CanaryState, type ModelDoc, type ModelVersionDoc } from '../store/documents';
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
  const [models, versions, histories] = await Promise.all([
    ctx.platform.docs.query<ModelDoc>(COLLECTIONS.models),
    listModels(ctx),
    ctx.platform.docs.query<ModelVersionDoc>(COLLECTIONS.versions),
  ]);
  const historyOf = new Map(histories.map(({ data }) => [modelVersionId(data.model, data.version), data.history ?? []]));
  return models
    .map(({ data }) => ({
      name: data.name,
      production_version: data.production_version,
      previous_version: data.previous_version,
      canary: canaryOf(data),
      aliases: data.aliases ?? {},
      versions: versions.filter((v) => v.model === data.name).map((v) => ({ ...v, history: historyOf.get(modelVersionId(v.model, v.version)) ?? [] })),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
