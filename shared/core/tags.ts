import { z } from 'zod';
import { MloopError } from './errors';

/**
 * `key=value` labels a person puts on a run (`--tag`, POST /api/runs `tags`) to find and compare runs.
 * They end up in documents, URLs and tables: short, a safe charset, and few.
 */
export const MAX_TAGS = 16;
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const VALUE = /^[A-Za-z0-9_.:/@+-]{1,128}$/;

/** What is wrong with a tags object, and the tag it is about, or null. */
function tagProblem(raw: unknown): { message: string; key?: string } | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { message: 'tags must be an object of key → value strings' };
  const entries = Object.entries(raw);
  if (entries.length > MAX_TAGS) return { message: `at most ${MAX_TAGS} tags, got ${entries.length}` };
  for (const [key, value] of entries) {
    if (!KEY.test(key)) return { key, message: `tag key "${key.slice(0, 70)}": letters, digits, _ . - (at most 63, starting with a letter or digit)` };
    if (typeof value !== 'string' || !VALUE.test(value)) return { key, message: `tag ${key}: a value of letters, digits, _ . : / @ + - (1 to 128)` };
  }
  return null;
}

export const RunTags = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  const problem = tagProblem(tags);
  // the offending tag in the path, so that an API's 400 names the field (`tags.<key>`)
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.key === undefined ? [] : [problem.key] });
});
export type RunTags = z.infer<typeof RunTags>;

/** A tags object from outside (an API body, a sidecar file), or an actionable refusal. */
export function parseTags(raw: unknown): RunTags {
  const problem = tagProblem(raw);
  if (problem) throw new MloopError('invalid_argument', problem.message);
  return raw as RunTags;
}

/** `--tag key=value`, repeated; a key given twice is refused rather than silently overwritten. */
export function tagsFromArgs(args: readonly string[]): RunTags | undefined {
  if (args.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) throw new MloopError('invalid_argument', `--tag "${arg.slice(0, 80)}": write key=value, e.g. --tag experiment=lr-sweep`);
    const key = arg.slice(0, at);
    if (key in tags) throw new MloopError('invalid_argument', `--tag ${key} is given twice`);
    tags[key] = arg.slice(at + 1);
  }
  return parseTags(tags);
}
