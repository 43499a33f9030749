import fs from 'node:fs';
import path from 'node:path';

/**
 * The design's import rules, as data: which folder may import which. Imports point down
 * (core ← data ← ml, monitoring ← pipeline ← serving ← functions, jobs, cli), the pipeline reaches the
 * platform only through its ports, adapters never import each other, and bench and test stay apart.
 */
export interface ImportEdge {
  /** Repository-relative path of the importing file. */
  from: string;
  /** Repository-relative path of the imported file, or the package name for a bare specifier. */
  to: string;
  /** `import type`: erased at build, so it carries shapes but no code. */
  typeOnly?: boolean;
}

export interface Violation extends ImportEdge {
  rule: string;
}

const CLOUD_SDKS = /^(@google-cloud\/(?!functions-framework)|better-sqlite3$)/;

interface Rule {
  name: string;
  /** Whether the rule speaks about an edge from this file. */
  applies(from: string): boolean;
  /** True when the edge breaks the rule. */
  forbids(to: string, from: string, typeOnly: boolean): boolean;
}

const under = (folder: string) => (file: string) => file.startsWith(`${folder}/`);
const anyOf =
  (...folders: string[]) =>
  (file: string) =>
    folders.some((folder) => file.startsWith(`${folder}/`));
const isPackage = (to: string) => !to.includes('/') || !/^(shared|functions|jobs|cli|bench|test|dashboard|scripts)\//.test(to);
const adapterOf = (file: string) => /^shared\/platform\/(local|gcp)\//.exec(file)?.[1] ?? null;

export const RULES: readonly Rule[] = [
  {
    name: 'core imports nothing above it',
    applies: under('shared/core'),
    forbids: (to) => !isPackage(to) && !to.startsWith('shared/core/'),
  },
  {
    name: 'data imports only core',
    applies: under('shared/data'),
    forbids: (to) => !isPackage(to) && !anyOf('shared/core', 'shared/data')(to),
  },
  {
    name: 'ml and monitoring import neither pipeline, serving nor platform',
    applies: anyOf('shared/ml', 'shared/monitoring'),
    forbids: (to) => anyOf('shared/pipeline', 'shared/serving', 'shared/platform')(to),
  },
  {
    name: 'pipeline reaches the platform through its ports only, and never serving',
    applies: under('shared/pipeline'),
    forbids: (to) => under('shared/serving')(to) || (under('shared/platform')(to) && to !== 'shared/platform/ports.ts'),
  },
  {
    name: 'serving reaches the platform through its ports only',
    applies: under('shared/serving'),
    forbids: (to) => under('shared/platform')(to) && to !== 'shared/platform/ports.ts',
  },
  {
    name: 'the platform imports only core and itself',
    applies: under('shared/platform'),
    forbids: (to) => !isPackage(to) && !anyOf('shared/core', 'shared/platform')(to),
  },
  {
    name: 'an adapter never imports another adapter',
    applies: (from) => adapterOf(from) !== null,
    forbids: (to, from) => adapterOf(to) !== null && adapterOf(to) !== adapterOf(from),
  },
  {
    name: 'shared never imports the entry points, bench or test',
    applies: under('shared'),
    forbids: (to) => anyOf('functions', 'jobs', 'cli', 'bench', 'test', 'dashboard', 'scripts')(to),
  },
  {
    name: 'only the platform imports a cloud SDK or SQLite',
    applies: (from) => !anyOf('shared/platform', 'test', 'bench', 'scripts')(from),
    forbids: (to) => isPackage(to) && CLOUD_SDKS.test(to),
  },
  {
    name: 'bench and test never import each other',
    applies: anyOf('bench', 'test'),
    forbids: (to, from) => (from.startsWith('bench/') ? under('test')(to) : under('bench')(to)),
  },
  {
    name: 'the dashboard runs in the browser: it imports the API types, no server code',
    applies: under('dashboard'),
    forbids: (to, _from, typeOnly) => !typeOnly && !isPackage(to) && !under('dashboard')(to),
  },
];

export function violations(edges: readonly ImportEdge[]): Violation[] {
  return edges.flatMap((edge) => RULES.filter((rule) => rule.applies(edge.from) && rule.forbids(edge.to, edge.from, edge.typeOnly ?? false)).map((rule) => ({ ...edge, rule: rule.name })));
}

const SPECIFIER = /(?:^|[^.\w])(?:import|export)\s([^'"`;]*?)from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*['"]([^'"]+)['"]|(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every import of the TypeScript files under `folders`, relative ones resolved to repository paths. */
export function importEdges(root: string, folders: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const folder of folders) {
    for (const file of sourceFiles(path.join(root, folder))) {
      const from = path.relative(root, file).split(path.sep).join('/');
      const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const match of text.matchAll(SPECIFIER)) {
        const specifier = match[2] ?? match[3] ?? match[4];
        if (specifier.startsWith('node:')) continue;
        const typeOnly = /^type\s/.test(match[1] ?? '');
        edges.push({ from, to: specifier.startsWith('.') ? resolve(root, path.dirname(file), specifier) : packageName(specifier), ...(typeOnly && { typeOnly }) });
      }
    }
  }
  return edges;
}

function* sourceFiles(dir: string): Generator<string> {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'fixtures') yield* sourceFiles(full);
    else if (entry.isFile() && /\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

function resolve(root: string, dir: string, specifier: string): string {
  const base = path.resolve(dir, specifier);
  const found = [`${base}.ts`, base, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile()) ?? base;
  return path.relative(root, found).split(path.sep).join('/');
}

const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
