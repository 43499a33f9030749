import { MloopError } from './errors';

/**
 * What one scoring revision serves, as its environment carries it: `fraud=v3,leaves=v2`. A revision is
 * immutable on Cloud Run, so the versions it serves are fixed when it is deployed, not looked up later.
 */
export interface ServedModels {
  /** model → the version answering its requests. */
  models: Record<string, string>;
  /** model → a version scoring a copy of its traffic in shadow (its `challenger`). */
  shadows: Record<string, string>;
}

export const SERVED_MODELS_ENV = 'MLOOP_SERVED_MODELS';
export const SHADOW_MODELS_ENV = 'MLOOP_SHADOW_MODELS';

const NAME = /^[A-Za-z0-9][\w.-]{0,127}$/;

/** `fraud=v3,leaves=v2` → { fraud: 'v3', leaves: 'v2' }; the empty string serves nothing. */
export function parseModelVersions(text: string, variable: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [model, version, extra] = item.split('=');
    if (extra !== undefined || !model || !version || !NAME.test(model) || !NAME.test(version)) {
      throw new MloopError('invalid_argument', `${variable}: "${item}" is not <model>=<version> (e.g. fraud=v3,leaves=v2)`);
    }
    if (model in pairs) throw new MloopError('invalid_argument', `${variable}: ${model} is named twice`);
    pairs[model] = version;
  }
  return pairs;
}

/** The inverse of parseModelVersions, sorted by model so that equal sets read the same. */
export function formatModelVersions(pairs: Record<string, string>): string {
  return Object.keys(pairs)
    .sort()
    .map((model) => `${model}=${pairs[model]}`)
    .join(',');
}

export function sameServedModels(a: ServedModels, b: ServedModels): boolean {
  return formatModelVersions(a.models) === formatModelVersions(b.models) && formatModelVersions(a.shadows) === formatModelVersions(b.shadows);
}
