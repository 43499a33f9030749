import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, tempHome } from './helpers';

jest.setTimeout(60_000);

const home = tempHome('mloop-images-');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home };
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

function run(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('mloop generate-images writes the same zip twice for a seed, and a folder of class folders', () => {
  const a = path.join(home, 'a.zip');
  const b = path.join(home, 'b.zip');
  const first = run(['generate-images', a, '--classes', '3', '--per-class', '4', '--size', '24', '--seed', '9']);
  expect(first).toMatchObject({ status: 0, stdout: `wrote 12 images of 3 classes (circle, square, triangle) to ${a}\n` });
  expect(run(['generate-images', b, '--classes', '3', '--per-class', '4', '--size', '24', '--seed', '9']).status).toBe(0);
  expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
  const folder = path.join(home, 'shapes');
  expect(run(['generate-images', folder, '--per-class', '2']).status).toBe(0);
  expect(fs.readdirSync(folder).sort()).toEqual(['circle', 'square', 'triangle']);
});

test('a bad option is an error that says what is allowed', () => {
  const result = run(['generate-images', path.join(home, 'x.zip'), '--classes', '12']);
  expect(result.status).not.toBe(0);
  expect(result.stderr).toMatch(/from 2 to 10/);
});
