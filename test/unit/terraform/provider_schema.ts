import fs from 'node:fs';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { badReferences, type Target } from './references';
import { suggest } from './suggest';

/**
 * What `terraform validate` would say about names, without a provider binary: every resource, data
 * source and provider block of a configuration checked against the providers' schemas that
 * scripts/extract_provider_schema.mjs extracted into terraform/schema/ (unknown types, unknown or
 * read-only arguments and blocks, missing required ones, too many of a block), and every reference to a
 * resource's or data source's attribute against them too. Values and their types are not checked.
 */
export interface BlockSchema {
  attributes: Record<string, 'required' | 'optional' | 'computed'>;
  blocks?: Record<string, BlockSchema & { min_items?: number; max_items?: number }>;
}

export interface ProviderSchema {
  provider: string;
  version: string;
  resource_types: string[];
  data_source_types: string[];
  provider_schema: BlockSchema;
  resource_schemas: Record<string, BlockSchema>;
  data_source_schemas: Record<string, BlockSchema>;
}

export interface SchemaError {
  file: string;
  /** `google_pubsub_subscription.push`, `data.archive_file.functions`, `provider.google`. */
  address: string;
  /** Where in the block: `push_config.oidc_token.service_account_email`, or '' for the block itself. */
  path: string;
  message: string;
}

type Body = Record<string, unknown>;

const REGENERATE = 'node scripts/extract_provider_schema.mjs';
const RESOURCE_META = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection'];
const DATA_META = ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'];
const PROVIDER_META = ['alias'];
const LIFECYCLE = ['create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by', 'precondition', 'postcondition'];
const DYNAMIC = ['for_each', 'iterator', 'labels', 'content'];

/** The schema files of a folder (terraform/schema), by provider local name (google, google-beta, ...). */
export function loadSchemas(dir: string): Map<string, ProviderSchema> {
  const schemas = new Map<string, ProviderSchema>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    schemas.set(path.basename(file, '.json'), JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ProviderSchema);
  }
  return schemas;
}

export interface CheckResult {
  errors: SchemaError[];
  /** Every resource, data source and provider block checked, by address: proof the check saw them. */
  checked: string[];
}

/** Checks every .tf file of a folder: its blocks, then its references to resources and data sources. */
export async function checkConfiguration(dir: string, schemas: Map<string, ProviderSchema>): Promise<CheckResult> {
  const result: CheckResult = { errors: [], checked: [] };
  const files = new Map<string, Body>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    files.set(file, (await parse(file, fs.readFileSync(path.join(dir, file), 'utf8'))) as Body);
  }
  const declared = new Map<string, Target>();
  for (const [file, parsed] of files) checkFile(file, parsed, schemas, result, declared);
  // `google_x.y` is a reference where google is a provider or google_x a declared type; `each.value` is not.
  const declaredTypes = new Set([...declared.keys()].filter((a) => !a.startsWith('data.')).map((a) => a.split('.')[0]));
  const resourceTypes = (type: string) => schemas.has(type.split('_')[0]) || declaredTypes.has(type);
  for (const [file, parsed] of files) {
    for (const [address, value] of referencingBlocks(parsed)) {
      for (const { reference, message } of badReferences(value, declared, resourceTypes)) result.errors.push({ file, address, path: reference, message });
    }
  }
  return result;
}

/** The blocks whose expressions are evaluated, by address (`moved` names addresses that are gone by design). */
function referencingBlocks(parsed: Body): [string, unknown][] {
  const blocks: [string, unknown][] = [];
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries((parsed[kind] ?? {}) as Record<string, Record<string, Body[]>>)) {
      for (const [name, bodies] of Object.entries(byName)) blocks.push([kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`, bodies]);
    }
  }
  for (const [local, bodies] of Object.entries((parsed.provider ?? {}) as Record<string, Body[]>)) blocks.push([`provider.${local}`, bodies]);
  for (const [name, bodies] of Object.entries((parsed.output ?? {}) as Record<string, Body[]>)) blocks.push([`output.${name}`, bodies]);
  for (const body of (parsed.locals ?? []) as Body[]) for (const [name, value] of Object.entries(body)) blocks.push([`local.${name}`, value]);
  return blocks;
}

function checkFile(file: string, parsed: Body, schemas: Map<string, ProviderSchema>, result: CheckResult, declared: Map<string, Target>): void {
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries((parsed[kind] ?? {}) as Record<string, Record<string, Body[]>>)) {
      for (const [name, bodies] of Object.entries(byName)) {
        const address = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
        result.checked.push(address);
        const report = (where: string, message: string) => result.errors.push({ file, address, path: where, message });
        for (const body of bodies) {
          declared.set(address, { schema: undefined, instances: body.count !== undefined || body.for_each !== undefined });
          const local = providerOf(type, body);
          const schema = schemas.get(local);
          if (!schema) {
            report('', `no schema for provider "${local}": add its CDKTF package to ${REGENERATE}`);
            continue;
          }
          const names = kind === 'resource' ? schema.resource_types : schema.data_source_types;
          const label = kind === 'resource' ? 'resource' : 'data source';
          if (!names.includes(type)) {
            report('', `unknown ${label} type ${type} in ${local} ${schema.version}${suggest(type, names)}`);
            continue;
          }
          const typeSchema = (kind === 'resource' ? schema.resource_schemas : schema.data_source_schemas)[type];
          if (!typeSchema) {
            report('', `${type} is a ${label} of ${local} ${schema.version} whose schema was not extracted: run ${REGENERATE}`);
            continue;
          }
          declared.get(address)!.schema = typeSchema;
          checkBlock(body, typeSchema, '', kind === 'resource' ? RESOURCE_META : DATA_META, report);
        }
      }
    }
  }
  for (const [local, bodies] of Object.entries((parsed.provider ?? {}) as Record<string, Body[]>)) {
    const address = `provider.${local}`;
    result.checked.push(address);
    const schema = schemas.get(local);
    const report = (where: string, message: string) => result.errors.push({ file, address, path: where, message });
    if (!schema) report('', `no schema for provider "${local}": add its CDKTF package to ${REGENERATE}`);
    else for (const body of bodies) checkBlock(body, schema.provider_schema, '', PROVIDER_META, report);
  }
}

/** The provider's local name: the `provider` meta-argument's (without alias), else the type's prefix. */
function providerOf(type: string, body: Body): string {
  const explicit = typeof body.provider === 'string' ? unwrap(body.provider).split('.')[0] : undefined;
  return explicit ?? type.split('_')[0];
}

function checkBlock(body: Body, schema: BlockSchema, at: string, meta: string[], report: (path: string, message: string) => void): void {
  const blocks = schema.blocks ?? {};
  const known = [...Object.keys(schema.attributes), ...Object.keys(blocks)];
  const where = (name: string) => (at ? `${at}.${name}` : name);
  const dynamicNames = new Set<string>();

  for (const [name, value] of Object.entries(body)) {
    if (meta.includes(name)) {
      if (name === 'lifecycle') checkLifecycle(value, where(name), report);
      continue;
    }
    if (name === 'dynamic') {
      for (const [blockName, dynamics] of Object.entries(value as Record<string, Body[]>)) {
        dynamicNames.add(blockName);
        const blockSchema = blocks[blockName];
        const dynamicAt = where(`dynamic "${blockName}"`);
        if (!blockSchema) {
          report(dynamicAt, `unknown block ${blockName}${suggest(blockName, Object.keys(blocks))}`);
          continue;
        }
        for (const dynamic of dynamics) {
          for (const key of Object.keys(dynamic)) if (!DYNAMIC.includes(key)) report(`${dynamicAt}.${key}`, `unknown argument ${key} of a dynamic block`);
          if (!('for_each' in dynamic)) report(dynamicAt, 'missing required argument for_each of a dynamic block');
          const content = dynamic.content;
          if (!Array.isArray(content) || content.length !== 1) {
            report(dynamicAt, 'a dynamic block needs exactly one content block');
            continue;
          }
          checkBlock(content[0] as Body, blockSchema, `${dynamicAt}.content`, [], report);
        }
      }
      continue;
    }
    const attribute = schema.attributes[name];
    if (attribute === 'computed') {
      report(where(name), `${name} is read-only (computed): it cannot be set`);
    } else if (attribute === undefined && blocks[name]) {
      const instances = value;
      if (!Array.isArray(instances) || instances.some((b) => !b || typeof b !== 'object' || Array.isArray(b))) {
        report(where(name), `${name} is a block: write ${name} { ... }, not ${name} = ...`);
        continue;
      }
      const max = blocks[name].max_items;
      if (max !== undefined && instances.length > max) report(where(name), `at most ${max} ${name} block${max === 1 ? '' : 's'}, found ${instances.length}`);
      for (const instance of instances) checkBlock(instance as Body, blocks[name], where(name), [], report);
    } else if (attribute === undefined) {
      report(where(name), `unknown argument or block ${name}${suggest(name, known)}`);
    }
  }

  for (const [name, kind] of Object.entries(schema.attributes)) {
    if (kind === 'required' && (body[name] === undefined || body[name] === null)) report(where(name), `missing required argument ${name}`);
  }
  for (const [name, block] of Object.entries(blocks)) {
    const count = Array.isArray(body[name]) ? (body[name] as unknown[]).length : 0;
    // How many a dynamic block makes is known only when applied.
    if (block.min_items && count < block.min_items && !dynamicNames.has(name)) report(where(name), `missing required block ${name}`);
  }
}

function checkLifecycle(value: unknown, at: string, report: (path: string, message: string) => void): void {
  for (const lifecycle of Array.isArray(value) ? (value as Body[]) : []) {
    for (const key of Object.keys(lifecycle)) if (!LIFECYCLE.includes(key)) report(`${at}.${key}`, `unknown lifecycle argument ${key}${suggest(key, LIFECYCLE)}`);
  }
}

const unwrap = (value: string): string => /^\$\{(.*)\}$/s.exec(value)?.[1] ?? value;
