import { MloopError } from '../../core/errors';

/**
 * Merges a trainer's defaults with the overrides of mloop.json, a request or a sweep trial. Unknown
 * names are refused, as in mloop.json: a typo ("learning_rat") would otherwise train with the default
 * and nobody would know. undefined means "the default".
 */
export function checkParams<T extends Record<string, unknown>>(trainer: string, defaults: T, params: Record<string, unknown>): T {
  const unknown = Object.keys(params).filter((k) => params[k] !== undefined && !Object.hasOwn(defaults, k));
  if (unknown.length > 0) {
    throw new MloopError('invalid_argument', `unknown ${trainer} parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${Object.keys(defaults).join(', ')})`);
  }
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  return { ...defaults, ...given } as T;
}
