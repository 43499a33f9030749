import fs from 'node:fs';
import path from 'node:path';

/**
 * The scoring service's image decodes uploaded images with sharp, whose native part (libvips and its
 * binding) comes as prebuilt packages for each platform, installed as sharp's optional dependencies.
 * The image cannot be built here (no Docker engine; Cloud Build builds it), so what makes
 * `npm ci --omit=dev` on node:20-bookworm-slim (linux, x64, glibc) install them is checked instead:
 * sharp a production dependency, the linux-x64 glibc packages in the lockfile as production (optional)
 * packages, their engines satisfied by the base image, and nothing in the install leaving optional
 * packages out. That the score bundle keeps sharp external is test/integration/scripts/build.test.ts's.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const dockerfile = read('functions/score.Dockerfile');
const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
type Locked = { version: string; dev?: boolean; optional?: boolean; os?: string[]; cpu?: string[]; libc?: string[]; engines?: Record<string, string>; optionalDependencies?: Record<string, string> };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, Locked> };

/** Instructions with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));

test('sharp is a production dependency, locked as one', () => {
  expect(pkg.dependencies.sharp).toEqual(expect.any(String));
  expect(pkg.devDependencies.sharp).toBeUndefined();
  const sharp = lock.packages['node_modules/sharp'];
  expect(sharp.dev).toBeUndefined();
  expect(sharp.optional).toBeUndefined();
});

test.each(['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64'])('the lockfile installs %s for linux x64 glibc, as a production optional package', (name) => {
  const locked = lock.packages[`node_modules/${name}`];
  expect(locked).toBeDefined();
  expect(locked.dev).toBeUndefined();
  expect(locked).toMatchObject({ optional: true, os: ['linux'], cpu: ['x64'], libc: ['glibc'] });
  // the version sharp (or its binding, for libvips) asks for, so npm ci takes it from the lockfile as is
  const wanted = name.includes('libvips') ? lock.packages['node_modules/@img/sharp-linux-x64'].optionalDependencies?.[name] : lock.packages['node_modules/sharp'].optionalDependencies?.[name];
  expect(locked.version).toBe(wanted);
});

test('both stages run node:20-bookworm-slim: Debian 12, glibc 2.36, Node 20 past the 20.9 sharp needs', () => {
  const froms = instructions.filter((i) => /^FROM\s/i.test(i));
  expect(froms).toHaveLength(2);
  for (const from of froms) expect(from).toMatch(/^FROM node:20-bookworm-slim\b/);
  for (const name of ['node_modules/sharp', 'node_modules/@img/sharp-linux-x64']) expect(lock.packages[name].engines?.node).toMatch(/^>=20\.\d+\.\d+$/);
  // the glibc the binary needs is in its own package.json (not the lockfile): bookworm's is 2.36
  const installed = JSON.parse(read('node_modules/@img/sharp-linux-x64/package.json')) as { version: string; config: { glibc: string } };
  expect(installed.version).toBe(lock.packages['node_modules/@img/sharp-linux-x64'].version);
  expect(Number(/^>=2\.(\d+)$/.exec(installed.config.glibc)?.[1])).toBeLessThanOrEqual(36);
});

test('the install keeps optional packages and the runtime gets all of node_modules', () => {
  const install = instructions.filter((i) => /^RUN\s/i.test(i) && /npm (ci|install)/.test(i));
  expect(install).toHaveLength(1);
  expect(install[0]).toMatch(/npm ci --omit=dev\b/);
  expect(install[0]).not.toMatch(/--omit[= ]optional|--no-optional|--ignore-scripts|--os|--cpu|--libc/);
  expect(instructions).not.toContainEqual(expect.stringMatching(/npm_config_(omit|optional|os|cpu|libc)/i));
  const npmrc = read('.npmrc');
  expect(npmrc).not.toMatch(/^\s*(omit\s*=.*optional|optional\s*=\s*false|os|cpu|libc)\b/m);
  expect(instructions).toContainEqual(expect.stringMatching(/^COPY --from=deps \/app\/node_modules \.\/node_modules$/));
});
