#!/usr/bin/env node
// Extracts the schema of the Terraform providers terraform/*.tf uses from the prebuilt CDKTF provider
// packages, whose jsii assembly is generated from each provider's own `terraform providers schema`:
// every resource's and data source's arguments (required or optional), computed attributes and nested
// blocks (required, at most one). No Terraform provider can be downloaded here, so this is what
// test/unit/terraform/schema.test.ts checks the configuration against instead of `terraform validate`.
//
//   node scripts/extract_provider_schema.mjs                  # the types terraform/*.tf uses, in full
//   node scripts/extract_provider_schema.mjs --all --out DIR  # every type (about 1.5 MB a Google provider)
//
// Writes terraform/schema/<provider local name>.json (or DIR/...). Every file also lists the names of
// all the provider's resource and data-source types, so a type whose schema was not extracted can be
// told from a misspelt one. Run it again after adding a resource or data-source type to terraform/.
//
// jsii names are camelCase, and camelCase does not map back to Terraform's names by rule
// (`source_md5hash` is `sourceMd5Hash`, `build` is `buildAttribute`). The names come from what the
// package itself serialises: the keys of its generated `…ToHclTerraform` functions (arguments and
// blocks, with isBlock) and the names its getters read (`getStringAttribute('uri')`, computed
// attributes). Each argument's documentation link (`…#source_md5hash`) is checked against them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

const PROVIDERS = [
  { name: 'google', pkg: '@cdktf/provider-google@16.12.1' },
  { name: 'google-beta', pkg: '@cdktf/provider-google-beta@16.12.1' },
  { name: 'archive', pkg: '@cdktf/provider-archive@11.0.1' },
];

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tfDir = path.join(root, 'terraform');
const all = process.argv.includes('--all');
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? path.resolve(process.argv[outFlag + 1]) : path.join(tfDir, 'schema');

function main() {
  const used = usedTypes(tfDir);
  fs.mkdirSync(outDir, { recursive: true });
  for (const provider of PROVIDERS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provider-schema-'));
    try {
      const schema = extract(provider, unpack(provider.pkg, dir), used);
      const file = path.join(outDir, `${provider.name}.json`);
      fs.writeFileSync(file, JSON.stringify(schema, null, 1) + '\n');
      const full = Object.keys(schema.resource_schemas).length + Object.keys(schema.data_source_schemas).length;
      console.log(`${path.relative(root, file)}: ${provider.name} ${schema.version}, ${full} types in full, ${(fs.statSync(file).size / 1024).toFixed(0)} KiB`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** `resource "x"` and `data "x"` of every .tf file: a scan, not a parse, so it needs no dependency. */
function usedTypes(dir) {
  const types = { resource: new Set(), data: new Set() };
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.tf'))) {
    for (const [, kind, type] of fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/^\s*(resource|data)\s+"([\w-]+)"/gm)) types[kind].add(type);
  }
  return types;
}

/** `npm pack` into dir and unpack it; returns the package folder. */
function unpack(pkg, dir) {
  const tarball = execFileSync('npm', ['pack', pkg, '--silent', '--pack-destination', dir], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['xzf', path.join(dir, tarball), '-C', dir]);
  return path.join(dir, 'package');
}

function readAssembly(packageDir) {
  const assembly = JSON.parse(fs.readFileSync(path.join(packageDir, '.jsii'), 'utf8'));
  // A large assembly may be stored compressed beside a redirect.
  if (assembly.schema === 'jsii/file-redirect') {
    const bytes = fs.readFileSync(path.join(packageDir, assembly.filename));
    return JSON.parse((assembly.compression === 'gzip' ? zlib.gunzipSync(bytes) : bytes).toString('utf8'));
  }
  return assembly;
}

function extract(provider, packageDir, used) {
  const assembly = readAssembly(packageDir);
  const types = assembly.types;
  const schema = { provider: '', version: '', source: provider.pkg, resource_types: [], data_source_types: [], provider_schema: null, resource_schemas: {}, data_source_schemas: {} };
  const js = new ModuleSources(packageDir);
  for (const [fqn, type] of Object.entries(types)) {
    if (type.kind !== 'class') continue;
    const kind = { 'cdktf.TerraformResource': 'resource', 'cdktf.TerraformDataSource': 'data', 'cdktf.TerraformProvider': 'provider' }[type.base];
    if (!kind) continue;
    // "Represents a {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/x google_x}."
    const link = /\{@link https:\/\/registry\.terraform\.io\/providers\/([\w-]+\/[\w-]+)\/([\w.]+)\/docs\S* ([\w-]+)\}/.exec(type.docs?.summary ?? '');
    if (!link) throw new Error(`${fqn}: no registry link naming its Terraform type`);
    const [, source, version, tfName] = link;
    if (kind === 'provider') {
      schema.provider = `registry.terraform.io/${source}`;
      schema.version = version;
      schema.provider_schema = blockSchema(types, js, configOf(types, fqn), type, type);
      continue;
    }
    (kind === 'resource' ? schema.resource_types : schema.data_source_types).push(tfName);
    if (all || used[kind].has(tfName)) {
      (kind === 'resource' ? schema.resource_schemas : schema.data_source_schemas)[tfName] = blockSchema(types, js, configOf(types, fqn), type, type);
    }
  }
  schema.resource_types.sort();
  schema.data_source_types.sort();
  schema.resource_schemas = sortKeys(schema.resource_schemas);
  schema.data_source_schemas = sortKeys(schema.data_source_schemas);
  return schema;
}

/** The config struct a resource's constructor takes. */
function configOf(types, classFqn) {
  const config = types[classFqn].initializer?.parameters?.find((p) => p.name === 'config')?.type?.fqn;
  if (!config || !types[config]) throw new Error(`${classFqn}: no config struct`);
  return config;
}

/**
 * One block's schema from its jsii struct: arguments from the struct's properties, computed-only
 * attributes from the read-only getters of the class (or output reference) that reads it back.
 */
function blockSchema(types, js, structFqn, readerType, ownerClass) {
  const struct = types[structFqn];
  const names = js.serialised(struct, ownerClass);
  const attributes = {};
  const blocks = {};
  const properties = (struct.properties ?? []).filter((p) => !p.static);
  if (properties.length !== names.size) throw new Error(`${structFqn}: ${properties.length} properties, ${names.size} serialised`);
  for (const property of properties) {
    const tfName = names.get(property.name);
    if (!tfName) throw new Error(`${structFqn}.${property.name}: not found in the package's serialisation`);
    const linked = /#(\w+) \w+#\w+\}/.exec(`${property.docs?.summary ?? ''} ${property.docs?.remarks ?? ''}`)?.[1];
    if (linked && linked !== tfName.name) throw new Error(`${structFqn}.${property.name}: serialised as ${tfName.name}, documented as ${linked}`);
    const nested = structOf(types, property.type);
    if (tfName.isBlock) {
      if (!nested) throw new Error(`${structFqn}.${property.name}: a block without a struct type`);
      const block = blockSchema(types, js, nested.fqn, types[`${nested.fqn}OutputReference`]);
      if (!property.optional) block.min_items = 1;
      if (!nested.list) block.max_items = 1;
      blocks[tfName.name] = block;
    } else {
      attributes[tfName.name] = property.optional ? 'optional' : 'required';
    }
  }
  for (const property of readerType?.properties ?? []) {
    if (!property.immutable || property.static || property.name.endsWith('Input')) continue;
    if (struct.properties?.some((p) => p.name === property.name)) continue;
    const tfName = js.attributeRead(readerType, property.name);
    if (tfName && !(tfName in attributes) && !(tfName in blocks)) attributes[tfName] = 'computed';
  }
  const result = { attributes: sortKeys(attributes) };
  if (Object.keys(blocks).length > 0) result.blocks = sortKeys(blocks);
  return result;
}

/** The struct a property holds: one (`x: S`, at most one block) or a list (`IResolvable | S[]`). */
function structOf(types, type) {
  const isStruct = (fqn) => fqn && types[fqn]?.datatype;
  if (isStruct(type.fqn)) return { fqn: type.fqn, list: false };
  for (const member of type.union?.types ?? []) {
    const element = member.collection?.elementtype?.fqn;
    if (isStruct(element)) return { fqn: element, list: true };
    if (isStruct(member.fqn)) return { fqn: member.fqn, list: false };
  }
  return undefined;
}

const sortKeys = (object) => Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)));

/** The generated JavaScript of the package's modules, read for the names it serialises and reads. */
class ModuleSources {
  constructor(packageDir) {
    this.packageDir = packageDir;
    this.cache = new Map();
  }

  /** All of a module's JavaScript (index.js and its index-structs/*.js), from a type's source file. */
  source(type) {
    const module = type.locationInModule.filename.split('/')[1];
    if (!this.cache.has(module)) {
      const dir = path.join(this.packageDir, 'lib', module);
      const files = [path.join(dir, 'index.js')];
      const structs = path.join(dir, 'index-structs');
      if (fs.existsSync(structs)) files.push(...fs.readdirSync(structs).filter((f) => f.endsWith('.js')).map((f) => path.join(structs, f)));
      this.cache.set(module, files.map((f) => fs.readFileSync(f, 'utf8')).join('\n'));
    }
    return this.cache.get(module);
  }

  /**
   * camelCase property → { Terraform name, isBlock }, from the function that turns the struct into HCL:
   * `fooToHclTerraform(struct)` for a nested struct, the class's `synthesizeHclAttributes()` for a config.
   */
  serialised(struct, ownerClass) {
    const source = this.source(struct);
    let body;
    if (ownerClass) {
      const start = source.indexOf(`class ${ownerClass.name} extends cdktf.`);
      body = start < 0 ? undefined : between(source, source.indexOf('synthesizeHclAttributes() {', start));
    } else {
      const fn = `function ${struct.name[0].toLowerCase()}${struct.name.slice(1)}ToHclTerraform(struct) {`;
      const start = source.indexOf(fn);
      body = start < 0 ? undefined : between(source, start);
    }
    if (body === undefined) throw new Error(`${struct.fqn}: its HCL serialisation is not in the package`);
    // A class keeps its config in private fields, not always named as the config's properties
    // (`this._build.internalValue = config.buildAttribute`).
    const fields = new Map();
    if (ownerClass) {
      const classBody = between(source, source.indexOf(`class ${ownerClass.name} extends cdktf.`));
      for (const [, field, property] of classBody.matchAll(/this\._(\w+)(?:\.internalValue)? = config\.(\w+);/g)) fields.set(field, property);
    }
    const names = new Map();
    const entry = /^\s*([\w]+): \{\n\s*value: (.*)\n\s*isBlock: (true|false),/gm;
    for (const [, tfName, value, isBlock] of body.matchAll(entry)) {
      const read = /\((struct|this)\.(?:_)?(\w+)(?:\.internalValue)?\)$/.exec(value.trim().replace(/,$/, ''));
      if (!read) throw new Error(`${struct.fqn}: cannot read the property of ${tfName}: ${value}`);
      const camel = read[1] === 'this' ? fields.get(read[2]) : read[2];
      if (!camel) throw new Error(`${struct.fqn}: no config property sets the field of ${tfName}`);
      names.set(camel, { name: tfName, isBlock: isBlock === 'true' });
    }
    return names;
  }

  /** The Terraform name a class's read-only getter reads: `get uri() { return this.getStringAttribute('uri'); }`. */
  attributeRead(type, camel) {
    const source = this.source(type);
    const start = source.indexOf(`class ${type.name} extends `);
    if (start < 0) return undefined;
    const body = between(source, start);
    const getter = new RegExp(`\\n\\s*get ${camel}\\(\\) \\{\\n\\s*return (.*);`).exec(body)?.[1];
    if (!getter) return undefined;
    const read = /^this\.get\w*Attribute\('([\w]+)'\)$/.exec(getter)?.[1];
    if (read) return read;
    // A computed object or list: `this._conditions = new XList(this, "conditions", false)`.
    const field = /^this\.(_\w+)$/.exec(getter)?.[1];
    return field ? new RegExp(`this\\.${field} = new [\\w.]+\\(this, "([\\w]+)"`).exec(body)?.[1] : undefined;
  }
}

/** The text from `start` to the brace that closes the first one opened after it. */
function between(source, start) {
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = source.indexOf('{', start); i < source.length; i++) {
    if (source[i] === '{') depth++;
    else if (source[i] === '}' && --depth === 0) return source.slice(start, i + 1);
  }
  return undefined;
}

main();
