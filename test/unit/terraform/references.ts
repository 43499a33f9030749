import type { BlockSchema } from './provider_schema';
import { suggest } from './suggest';

/**
 * References to resources and data sources in expressions (`google_x.name[each.key].block[0].attr`):
 * the resource must be declared and every step must be an attribute or block of its schema, as
 * `terraform validate` requires ("Unsupported attribute").
 */
export interface Target {
  /** Undefined where the block's own check found no schema. */
  schema: BlockSchema | undefined;
  /** It has count or for_each, so a reference may name an instance: `x.name[each.key]`. */
  instances: boolean;
}

/** `google_x.name` or `data.google_x.name` → what it is. */
export type Declared = ReadonlyMap<string, Target>;

/** The reference's text and what is wrong with it, for each bad reference in a value. */
export function badReferences(value: unknown, declared: Declared, resourceTypes: (type: string) => boolean): { reference: string; message: string }[] {
  const found: { reference: string; message: string }[] = [];
  for (const text of strings(value)) {
    for (const expression of interpolations(text)) {
      const start = /(?<![\w.-])(data\.)?([a-z][\w-]*_[\w-]*)\.([\w-]+)/g;
      for (let match = start.exec(expression); match; match = start.exec(expression)) {
        const [head, data, type, name] = match;
        if (!data && !resourceTypes(type)) continue;
        const address = `${data ?? ''}${type}.${name}`;
        const steps = traversal(expression, match.index + head.length);
        const reference = `${address}${steps.map((s) => s.text).join('')}`;
        const target = declared.get(address);
        if (!target) {
          found.push({ reference, message: `${address} is not declared${suggest(address, [...declared.keys()])}` });
          continue;
        }
        if (!target.schema) continue;
        const problem = walk(target.schema, target.instances ? skipIndex(steps) : steps);
        if (problem) found.push({ reference, message: `${problem} of ${address}` });
      }
    }
  }
  return found;
}

interface Step {
  text: string;
  /** The attribute or block name of a `.name` step; undefined for an index. */
  name?: string;
}

/** `.name` and `[...]` steps after a position, brackets matched (`[each.value.topic]`). */
function traversal(expression: string, from: number): Step[] {
  const steps: Step[] = [];
  let i = from;
  for (;;) {
    if (expression[i] === '.') {
      const name = /^\.([A-Za-z_][\w-]*)/.exec(expression.slice(i))?.[1];
      if (!name) return steps;
      steps.push({ text: `.${name}`, name });
      i += name.length + 1;
    } else if (expression[i] === '[') {
      let depth = 0;
      let j = i;
      for (; j < expression.length; j++) {
        if (expression[j] === '[') depth++;
        else if (expression[j] === ']' && --depth === 0) break;
      }
      steps.push({ text: expression.slice(i, j + 1) });
      i = j + 1;
    } else {
      return steps;
    }
  }
}

/** Drops the instance key of a resource with count or for_each, when the reference has one. */
const skipIndex = (steps: Step[]): Step[] => (steps[0] && steps[0].name === undefined ? steps.slice(1) : steps);

/** What is wrong with following these steps through a schema, or undefined. */
function walk(schema: BlockSchema, steps: Step[]): string | undefined {
  let block = schema;
  let path = '';
  for (let k = 0; k < steps.length; k++) {
    const name = steps[k].name;
    if (name === undefined) continue; // the index of a block list or a splat
    if (name in block.attributes) return undefined; // a value: what lies inside it the schema does not say
    const nested = block.blocks?.[name];
    if (!nested) return `unknown attribute ${name}${suggest(name, [...Object.keys(block.attributes), ...Object.keys(block.blocks ?? {})])}${path ? ` in ${path.slice(1)}` : ''}`;
    path += `.${name}`;
    block = nested;
  }
  return undefined;
}

/** Every string inside a parsed value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The expressions of a parsed string: `${...}` parts, braces matched. */
function interpolations(text: string): string[] {
  const found: string[] = [];
  let i = text.indexOf('${');
  while (i >= 0) {
    let depth = 0;
    let j = i + 1;
    for (; j < text.length; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}' && --depth === 0) break;
    }
    // A template nested in the expression is part of it, not a second one.
    found.push(text.slice(i + 2, j));
    i = text.indexOf('${', j);
  }
  return found;
}
