import { z } from 'zod';
import { MloopError } from '../core/errors';
import { seededRandom } from '../data/random';

/**
 * A sweep's search space, as mloop.json `search` or a training request carries it: candidate values per
 * parameter, tried as a full grid or as `max_trials` random picks from it. A bare object of lists is a
 * grid. Each trial is a set of parameter overrides, numbered in a fixed order so that parallel tasks
 * agree on who trains which.
 */
const Value = z.union([z.number(), z.string(), z.boolean(), z.array(z.number())]);
const Space = z.record(z.string().min(1), z.array(Value).min(1)).refine((space) => Object.keys(space).length > 0, 'the search space names no parameter');

const SearchSchema = z.strictObject({
  space: Space,
  method: z.enum(['grid', 'random']).default('grid'),
  max_trials: z.number().int().positive().optional(),
  seed: z.number().int().default(7),
});

export type Search = z.output<typeof SearchSchema>;
export type TrialParams = Record<string, unknown>;

/** More trials than this is a study, not a sweep: it belongs in a tool built for that. */
const MAX_TRIALS = 100;
const DEFAULT_RANDOM_TRIALS = 10;

export function parseSearch(raw: unknown): Search {
  const full = typeof raw === 'object' && raw !== null && 'space' in raw;
  const parsed = SearchSchema.safeParse(full ? raw : { space: raw });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'search'}: ${i.message}`);
    throw new MloopError('invalid_argument', `invalid search space: ${problems.slice(0, 3).join('; ')}`);
  }
  return parsed.data;
}

function grid(space: Record<string, unknown[]>): TrialParams[] {
  return Object.entries(space).reduce<TrialParams[]>(
    (trials, [name, values]) => trials.flatMap((trial) => values.map((value) => ({ ...trial, [name]: value }))),
    [{}],
  );
}

/** The trials of a search, in a deterministic order; no search is one trial without overrides. */
export function expandSearch(search: Search | undefined): TrialParams[] {
  if (!search) return [{}];
  const all = grid(search.space);
  if (search.method === 'grid') {
    const limit = Math.min(search.max_trials ?? MAX_TRIALS, MAX_TRIALS);
    if (all.length > limit) throw new MloopError('invalid_argument', `the grid has ${all.length} trials, more than ${limit}: use "method": "random" with max_trials`);
    return all;
  }
  const wanted = Math.min(search.max_trials ?? DEFAULT_RANDOM_TRIALS, all.length, MAX_TRIALS);
  const random = seededRandom(search.seed);
  // a partial Fisher–Yates over the grid: distinct picks, the same ones for every task
  for (let i = 0; i < wanted; i++) {
    const j = i + random.int(all.length - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, wanted);
}
