import type { z } from 'zod';
import { errorMessage, isPermanent } from '../../core/errors';
import type { Context } from '../context';

export type EventHandler = (ctx: Context, data: unknown) => Promise<void>;

/**
 * One policy for every event handler: a payload that does not parse, or an error that retrying cannot
 * fix, is logged and acknowledged (never retried forever); anything else is thrown, so the bus
 * redelivers with backoff and finally dead-letters it.
 */
export function handler<S extends z.ZodType>(name: string, schema: S, useCase: (ctx: Context, event: z.infer<S>) => Promise<unknown>): EventHandler {
  return async (ctx: Context, data: unknown): Promise<void> => {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      ctx.log.warn({ handler: name, issues: parsed.error.issues.slice(0, 5) }, `${name}: malformed event acknowledged`);
      return;
    }
    try {
      const result = await useCase(ctx, parsed.data);
      ctx.log.debug({ handler: name, result }, `${name} done`);
    } catch (err) {
      if (isPermanent(err)) {
        ctx.log.error({ handler: name, err: errorMessage(err) }, `${name}: event acknowledged after a permanent error`);
        return;
      }
      throw err;
    }
  };
}
