import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

/**
 * The Terraform configuration as data: every `.tf` file parsed by HashiCorp's own HCL parser (compiled
 * to WebAssembly), merged, with just enough evaluation for the checks the tests make: `for_each` over
 * literal lists, maps and locals, `each.key` and `each.value` (with its attributes), and `merge()` of locals.
 */
export type Block = Record<string, unknown>;

export interface Instance {
  /** The resource's address, e.g. `google_pubsub_topic.topic["training-requested"]`. */
  address: string;
  type: string;
  name: string;
  key?: string;
  block: Block;
}

/** A `moved` block: both addresses as written, e.g. `google_pubsub_subscription.push["onDriftDetected"]`. */
export interface Move {
  from: string;
  to: string;
}

export class TerraformModel {
  private constructor(
    private readonly resources: Record<string, Record<string, Block>>,
    readonly locals: Record<string, unknown>,
    readonly variables: Record<string, Block>,
    readonly data: Record<string, Record<string, Block>>,
    readonly moved: Move[],
  ) {}

  static async load(dir: string): Promise<TerraformModel> {
    const resources: Record<string, Record<string, Block>> = {};
    const data: Record<string, Record<string, Block>> = {};
    const locals: Record<string, unknown> = {};
    const variables: Record<string, Block> = {};
    const moved: Move[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
      const parsed = (await parse(file, fs.readFileSync(path.join(dir, file), 'utf8'))) as Record<string, unknown>;
      for (const [kind, target] of [
        ['resource', resources],
        ['data', data],
      ] as const) {
        for (const [type, byName] of Object.entries((parsed[kind] ?? {}) as Record<string, Record<string, Block[]>>)) {
          for (const [name, [block]] of Object.entries(byName)) {
            target[type] ??= {};
            if (target[type][name]) throw new Error(`${type}.${name} is declared twice`);
            target[type][name] = block;
          }
        }
      }
      for (const block of (parsed.locals ?? []) as Block[]) Object.assign(locals, block);
      for (const [name, [block]] of Object.entries((parsed.variable ?? {}) as Record<string, Block[]>)) variables[name] = block;
      for (const block of (parsed.moved ?? []) as Block[]) moved.push({ from: unwrap(String(block.from)), to: unwrap(String(block.to)) });
    }
    return new TerraformModel(resources, locals, variables, data, moved);
  }

  /** The same configuration with these variables set, as a tfvars file would: what a deployment that sets them gets. */
  withVariables(values: Record<string, unknown>): TerraformModel {
    const variables = { ...this.variables };
    for (const [name, value] of Object.entries(values)) {
      if (!variables[name]) throw new Error(`no variable ${name}`);
      variables[name] = { ...variables[name], default: value };
    }
    return new TerraformModel(this.resources, this.locals, variables, this.data, this.moved);
  }

  resource(type: string, name: string): Block {
    const block = this.resources[type]?.[name];
    if (!block) throw new Error(`no resource ${type}.${name}`);
    return block;
  }

  /** Every instance of every resource of these types (of all types when none is named), `for_each` expanded. */
  instances(...types: string[]): Instance[] {
    return (types.length > 0 ? types : Object.keys(this.resources)).flatMap((type) =>
      Object.entries(this.resources[type] ?? {}).flatMap(([name, block]) => {
        if (block.for_each === undefined) return [{ address: `${type}.${name}`, type, name, block }];
        const values = this.forEachValues(block.for_each);
        return this.forEachKeys(block.for_each).map((key) => ({
          address: `${type}.${name}["${key}"]`,
          type,
          name,
          key,
          block: substituteEach(block, key, values[key]) as Block,
        }));
      }),
    );
  }

  /** The `each.value` of every key, where the `for_each` is a map: a literal or a local. */
  private forEachValues(forEach: unknown): Record<string, unknown> {
    if (isMap(forEach)) return forEach;
    const local = /^local\.(\w+)$/.exec(unwrap(String(forEach)))?.[1];
    const variable = /^var\.(\w+)$/.exec(unwrap(String(forEach)))?.[1];
    const value = local ? this.local(local) : variable ? this.variableDefault(variable) : undefined;
    return isMap(value) ? value : {};
  }

  /** The keys a `for_each` iterates over: a literal map, `toset([...])`, a local list or map, or a variable. */
  forEachKeys(forEach: unknown): string[] {
    if (isMap(forEach)) return Object.keys(forEach);
    const expression = unwrap(String(forEach));
    const inner = /^toset\((.*)\)$/s.exec(expression)?.[1] ?? expression;
    if (inner.startsWith('[')) return JSON.parse(inner) as string[];
    // What an operator adds through a variable is judged by its default: the deployment as shipped.
    const variable = /^var\.(\w+)$/.exec(inner)?.[1];
    if (variable) {
      const value = this.variableDefault(variable) ?? [];
      return Array.isArray(value) ? value.map(String) : Object.keys(value as object);
    }
    const local = /^local\.(\w+)$/.exec(inner)?.[1];
    if (!local) throw new Error(`for_each ${expression} is not a form the tests understand`);
    const value = this.local(local);
    return Array.isArray(value) ? value.map(String) : Object.keys(value as object);
  }

  local(name: string): unknown {
    if (!(name in this.locals)) throw new Error(`no local.${name}`);
    return this.locals[name];
  }

  /** A map attribute written as a literal, `local.x`, or `merge(local.a, local.b, ...)`. */
  mapValue(value: unknown): Record<string, unknown> {
    if (isMap(value)) return value;
    const expression = unwrap(String(value));
    const parts = /^merge\((.*)\)$/s.exec(expression)?.[1].split(',').map((s) => s.trim()) ?? [expression];
    const merged: Record<string, unknown> = {};
    for (const part of parts) {
      const local = /^local\.(\w+)$/.exec(part)?.[1];
      if (!local) throw new Error(`${part} in ${expression} is not a local the tests can read`);
      Object.assign(merged, this.mapValue(this.local(local)));
    }
    return merged;
  }

  variableDefault(name: string): unknown {
    const variable = this.variables[name];
    if (!variable) throw new Error(`no variable ${name}`);
    return variable.default;
  }
}

/** `"${expr}"` → `expr`. */
export function unwrap(value: string): string {
  const match = /^\$\{(.*)\}$/s.exec(value);
  return match ? match[1] : value;
}

/** The first block of a nested block list (`template[0]`), or fails naming the path. */
export function nested(block: Block, ...names: string[]): Block {
  let current: unknown = block;
  for (const name of names) {
    const list = (current as Block)[name];
    if (!Array.isArray(list) || list.length === 0) throw new Error(`no ${names.join('.')} block`);
    current = list[0];
  }
  return current as Block;
}

const isMap = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * `each.key` and `each.value` (or an attribute of it) as Terraform would put them in: a whole-value
 * reference becomes the value itself, one inside a template or an index its text. A value that is itself
 * an expression (`${google_service_account.x.email}`) is put in as that expression.
 */
function substituteEach(value: unknown, key: string, eachValue: unknown): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{each\.value((?:\.\w+)*)\}$/.exec(value);
    if (whole) {
      const found = attribute(eachValue, whole[1]);
      if (found !== undefined) return found;
    }
    return value
      .replaceAll('${each.key}', key)
      .replaceAll('[each.key]', `["${key}"]`)
      .replace(/\$\{each\.value((?:\.\w+)*)\}/g, (reference, path: string) => asText(attribute(eachValue, path)) ?? reference)
      .replace(/\[each\.value((?:\.\w+)*)\]/g, (reference, path: string) => {
        const text = asText(attribute(eachValue, path));
        return text === undefined || text.startsWith('${') ? reference : `["${text}"]`;
      });
  }
  if (Array.isArray(value)) return value.map((v) => substituteEach(v, key, eachValue));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEach(v, key, eachValue)]));
  return value;
}

/** `.a.b` of a value, or undefined where it has none. */
function attribute(value: unknown, path: string): unknown {
  let current = value;
  for (const name of path.split('.').slice(1)) current = isMap(current) ? current[name] : undefined;
  return current;
}

const asText = (value: unknown): string | undefined => (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined);
