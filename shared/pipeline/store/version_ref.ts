import { MloopError } from '../../core/errors';
import type { Context } from '../context';
import { storeOf } from '.';

/**
 * A version is named by its automatic `vN` or by its human label (`1.0.0`), wherever a person names
 * one: `fraud@1.0.0`, aliases, the admin routes. A label never looks like `vN`, so the two cannot clash.
 */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export function checkLabel(label: string): string {
  if (!LABEL.test(label) || /^v\d+$/.test(label)) {
    throw new MloopError('invalid_argument', `label "${label.slice(0, 80)}": letters, digits, '.', '_', '+' and '-' (at most 64, not vN, which names versions already), e.g. 1.0.0`);
  }
  return label;
}

/** The `vN` a reference names: a label is looked up in the model's labels, anything else is taken as is. */
export async function canonicalVersion(ctx: Pick<Context, 'platform'>, model: string, ref: string): Promise<string> {
  const doc = await storeOf(ctx).models.get(model);
  return doc?.labels?.[ref] ?? ref;
}
