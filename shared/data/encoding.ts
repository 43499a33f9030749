import { z } from 'zod';
import { MAX_CATEGORIES, type InferredSchema } from './schema';
import { parseNumber, readFeature, UNREADABLE } from './values';

/**
 * The one encoding from feature values to model input, used when training and when serving, so that
 * what is scored is what was trained. Values arrive as CSV strings (training data, holdout rows) or as
 * JSON values (HTTP instances) and encode identically.
 *
 * Numeric features pass through raw: standardisation lives in the ONNX graph, so the specs here stay
 * valid whatever the trainer did.
 */
export const FeatureSpecSchema = z.discriminatedUnion('kind', [
  z.object({
    name: z.string().min(1),
    kind: z.literal('numeric'),
    mean: z.number(),
    std: z.number().nonnegative(),
    min: z.number(),
    max: z.number(),
    /** What a missing value encodes as: the training mean. */
    fill: z.number(),
    /**
     * Words the training file held in this column beside its numbers (at most MAX_MISSING_WORDS), which
     * training read as missing: scoring takes them as missing too, and refuses words it never saw.
     */
    missing_words: z.array(z.string()).optional(),
  }),
  z.object({ name: z.string().min(1), kind: z.literal('categorical'), categories: z.array(z.string()) }),
  z.object({ name: z.string().min(1), kind: z.literal('boolean') }),
]);
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

/** A column of the training data as the training pass stores it: compact arrays, not row objects. */
export type TrainingColumn =
  /** NaN marks a missing value; `words` are the non-numbers among the cells, read as missing. */
  | { kind: 'numeric'; values: ArrayLike<number>; words?: readonly string[] }
  /** Code 0 is missing; code k is dictionary[k - 1]. */
  | { kind: 'categorical'; codes: ArrayLike<number>; dictionary: readonly string[] }
  | { kind: 'boolean' };

/** Fits the specs on the given rows only (the training split), so no statistic leaks from the holdout. */
export function fitFeatureSpecs(
  schema: Pick<InferredSchema, 'columns'>,
  columns: ReadonlyMap<string, TrainingColumn>,
  rows: ArrayLike<number>,
): FeatureSpec[] {
  const specs: FeatureSpec[] = [];
  for (const col of schema.columns) {
    if (col.kind === 'dropped') continue;
    const data = columns.get(col.name);
    if (!data || data.kind !== col.kind) throw new Error(`training column "${col.name}" (${col.kind}) was not provided`);
    if (data.kind === 'numeric') specs.push(fitNumeric(col.name, data.values, rows, data.words));
    else if (data.kind === 'categorical') specs.push(fitCategorical(col.name, data.codes, data.dictionary, rows));
    else specs.push({ name: col.name, kind: 'boolean' });
  }
  return specs;
}

function fitNumeric(name: string, values: ArrayLike<number>, rows: ArrayLike<number>, words: readonly string[] = []): FeatureSpec {
  const spec = fitMoments(name, values, rows);
  return words.length > 0 ? { ...spec, missing_words: [...words] } : spec;
}

function fitMoments(name: string, values: ArrayLike<number>, rows: ArrayLike<number>): Extract<FeatureSpec, { kind: 'numeric' }> {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]];
    if (Number.isNaN(v)) continue;
    // Welford: amounts in the millions next to tiny variances would lose digits with sum of squares
    count++;
    const d = v - mean;
    mean += d / count;
    m2 += d * (v - mean);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (count === 0) return { name, kind: 'numeric', mean: 0, std: 0, min: 0, max: 0, fill: 0 };
  return { name, kind: 'numeric', mean, std: Math.sqrt(m2 / count), min, max, fill: mean };
}

function fitCategorical(name: string, codes: ArrayLike<number>, dictionary: readonly string[], rows: ArrayLike<number>): FeatureSpec {
  const counts = new Float64Array(dictionary.length + 1);
  for (let i = 0; i < rows.length; i++) counts[codes[rows[i]]]++;
  const ranked: number[] = [];
  for (let code = 1; code < counts.length; code++) if (counts[code] > 0) ranked.push(code);
  ranked.sort((a, b) => counts[b] - counts[a] || (dictionary[a - 1] < dictionary[b - 1] ? -1 : 1));
  return { name, kind: 'categorical', categories: ranked.slice(0, MAX_CATEGORIES).map((code) => dictionary[code - 1]) };
}

interface Plan {
  width: number;
  offsets: Int32Array;
  lookups: Array<Map<string, number> | null>;
  /**
   * Per categorical feature, the categories a JSON number or boolean stands for when its spelling is not
   * the file's: 3 for "3.0", true for "True". The exact spelling wins; among aliases the most frequent.
   */
  aliases: Array<Map<number | boolean, number> | null>;
  known: Set<string>;
}

function aliasesOf(categories: readonly string[]): Map<number | boolean, number> {
  const aliases = new Map<number | boolean, number>();
  categories.forEach((c, j) => {
    const n = parseNumber(c);
    const alias = Number.isNaN(n) ? ({ true: true, false: false } as Record<string, boolean>)[c.toLowerCase()] : n;
    if (alias !== undefined && !aliases.has(alias)) aliases.set(alias, j);
  });
  return aliases;
}

// Specs are immutable once fitted; a scorer encodes with the same array on every request.
const plans = new WeakMap<readonly FeatureSpec[], Plan>();

function planFor(specs: readonly FeatureSpec[]): Plan {
  let plan = plans.get(specs);
  if (plan) return plan;
  const offsets = new Int32Array(specs.length);
  const lookups: Plan['lookups'] = [];
  const aliases: Plan['aliases'] = [];
  let width = 0;
  specs.forEach((spec, f) => {
    offsets[f] = width;
    if (spec.kind === 'categorical') {
      lookups.push(new Map(spec.categories.map((c, j) => [c, j])));
      aliases.push(aliasesOf(spec.categories));
      width += spec.categories.length;
    } else {
      lookups.push(null);
      aliases.push(null);
      width += 1;
    }
  });
  plan = { width, offsets, lookups, aliases, known: new Set(specs.map((s) => s.name)) };
  plans.set(specs, plan);
  return plan;
}

export function encodedWidth(specs: readonly FeatureSpec[]): number {
  return planFor(specs).width;
}

export interface EncodedColumn {
  feature: string;
  kind: FeatureSpec['kind'];
  /** For a one-hot column, the category it marks. */
  category?: string;
}

/** What each encoded column holds, in order: for a trainer's preprocessing and for reports. */
export function encodedColumns(specs: readonly FeatureSpec[]): EncodedColumn[] {
  return specs.flatMap((spec): EncodedColumn[] =>
    spec.kind === 'categorical'
      ? spec.categories.map((category) => ({ feature: spec.name, kind: spec.kind, category }))
      : [{ feature: spec.name, kind: spec.kind }],
  );
}

/**
 * Row-major [records × width], each value read by readFeature as the training pass read its cell.
 * Numeric: the raw value, missing (or unreadable, as a stray word in a numeric training column) → fill.
 * Categorical: one-hot, unknown or missing → all zeros. Boolean: 0/1, missing → 0.
 */
export function encodeRecords(
  records: ArrayLike<Record<string, unknown>>,
  specs: readonly FeatureSpec[],
  out?: Float32Array,
): Float32Array {
  const { width, offsets, lookups, aliases } = planFor(specs);
  const size = records.length * width;
  if (out && out.length < size) throw new RangeError(`output holds ${out.length} values, ${size} needed`);
  const x = out ?? new Float32Array(size);
  if (out) x.fill(0, 0, size);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const base = i * width;
    for (let f = 0; f < specs.length; f++) {
      const spec = specs[f];
      const value = record[spec.name];
      const at = base + offsets[f];
      const read = readFeature(spec.kind, value);
      if (spec.kind === 'numeric') x[at] = typeof read === 'number' ? read : spec.fill;
      else if (spec.kind === 'boolean') x[at] = read === 1 ? 1 : 0;
      else if (typeof read === 'string') {
        let j = lookups[f]!.get(read);
        if (j === undefined && (typeof value === 'number' || typeof value === 'boolean')) j = aliases[f]!.get(value);
        if (j !== undefined) x[at + j] = 1;
      }
    }
  }
  return x;
}

// ---------------------------------------------------------------- validation of scoring requests

export interface InstanceError {
  /** null when the request body as a whole is wrong. */
  index: number | null;
  field: string | null;
  message: string;
}

export type InstanceValidation =
  | { ok: true; records: Array<Record<string, unknown>> }
  | { ok: false; errors: InstanceError[] };

const MAX_ERRORS = 100;
/**
 * Longer than any category a training file holds in practice: a longer value can only be an unseen
 * category, so it is refused before it is hashed, logged and copied into the prediction log.
 */
export const MAX_CATEGORY_CHARS = 4096;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

const EXPECTED: Record<FeatureSpec['kind'], string> = {
  numeric: 'a number',
  categorical: 'a string',
  boolean: 'true/false (or 1/0, yes/no)',
};

/** Null when the value reads as training would have read its cell (readFeature), else why not. */
function typeProblem(spec: FeatureSpec, value: unknown): string | null {
  if (spec.kind === 'numeric' && spec.missing_words && typeof value === 'string' && spec.missing_words.includes(value.trim())) return null;
  if (spec.kind === 'categorical' && typeof value === 'string' && value.length > MAX_CATEGORY_CHARS) {
    return `a string of ${value.length} characters, longer than the ${MAX_CATEGORY_CHARS} a category may have`;
  }
  if (readFeature(spec.kind, value) !== UNREADABLE) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return `expected ${spec.kind === 'numeric' ? 'a finite number' : EXPECTED[spec.kind]}, got ${value}`;
  return `expected ${EXPECTED[spec.kind]}, got ${describe(value)}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/**
 * Checks a scoring request body. Fields in `ignorable` (the target, dropped columns) are accepted and
 * ignored so that a client can send whole rows of the training file; any other unknown field is an
 * error, because a misspelt feature would otherwise be scored as missing without anyone noticing.
 */
export function validateInstances(instances: unknown, specs: readonly FeatureSpec[], ignorable: readonly string[]): InstanceValidation {
  if (!Array.isArray(instances)) {
    return { ok: false, errors: [{ index: null, field: null, message: `instances: expected an array of objects, got ${describe(instances)}` }] };
  }
  if (instances.length === 0) {
    return { ok: false, errors: [{ index: null, field: null, message: 'instances: expected at least one instance, got an empty array' }] };
  }
  const { known } = planFor(specs);
  const ignored = new Set(ignorable);
  const errors: InstanceError[] = [];
  const add = (index: number, field: string | null, problem: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ index, field, message: `instances[${index}]${field === null ? '' : `.${field}`}: ${problem}` });
  };
  for (let i = 0; i < instances.length && errors.length < MAX_ERRORS; i++) {
    const instance: unknown = instances[i];
    if (!isPlainObject(instance)) {
      add(i, null, `expected an object of feature values, got ${describe(instance)}`);
      continue;
    }
    for (const spec of specs) {
      if (!Object.hasOwn(instance, spec.name)) add(i, spec.name, `missing (expected ${EXPECTED[spec.kind]}; send null when unknown)`);
      else {
        const problem = typeProblem(spec, instance[spec.name]);
        if (problem) add(i, spec.name, problem);
      }
    }
    for (const field of Object.keys(instance)) {
      if (!known.has(field) && !ignored.has(field)) {
        const names = specs.slice(0, 20).map((s) => s.name).join(', ');
        add(i, field, `unknown field (the model's features are: ${names}${specs.length > 20 ? ', …' : ''})`);
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, records: instances as Array<Record<string, unknown>> };
}
