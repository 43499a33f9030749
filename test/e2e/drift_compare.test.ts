import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, tempHome } from './helpers';

/** `mloop drift compare` as a person runs it on two files: no stack, no state folder. */
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'drift');
const home = tempHome('mloop-compare-');
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const run = (args: string[]) =>
  spawnSync(process.execPath, [CLI, 'drift', 'compare', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: path.join(home, 'unused') },
    encoding: 'utf8',
  });

type Expected = Record<string, { share: number; dataset_drift: boolean; features: Record<string, { test: string; p_value: number | null; drifted: boolean; threshold: number }> }>;
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'compare_expected.json'), 'utf8')) as Expected;

test.each(['small', 'large'])('--json on the %s pair prints share, verdict and per-feature test, statistic, p-value, threshold, drifted, psi', (size) => {
  const result = run([path.join(FIXTURES, `compare_${size}_reference.csv`), path.join(FIXTURES, `compare_${size}_current.csv`), '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const printed = JSON.parse(result.stdout);
  const want = expected[size];
  expect(Object.keys(printed)).toEqual(['share', 'dataset_drift', 'features', 'skipped']);
  expect(printed.share).toBeCloseTo(want.share, 12);
  expect(printed.dataset_drift).toBe(want.dataset_drift);
  for (const [name, w] of Object.entries(want.features)) {
    const f = printed.features[name];
    expect(Object.keys(f)).toEqual(['test', 'statistic', 'p_value', 'threshold', 'drifted', 'psi']);
    expect({ name, test: f.test, drifted: f.drifted, threshold: f.threshold }).toEqual({ name, test: w.test, drifted: w.drifted, threshold: w.threshold });
    if (w.p_value === null) expect(f.p_value).toBeNull();
    else expect(Math.abs(f.p_value - w.p_value)).toBeLessThan(1e-9);
  }
});

test('--html writes a self-contained report; the table is for people; an id column is left out and named', () => {
  const reference = path.join(home, 'ref.csv');
  const current = path.join(home, 'cur.csv');
  const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => `id-${shift}-${i},${(i % 97) + shift},${['a', 'b', 'c'][i % 3]}`).join('\n');
  fs.writeFileSync(reference, `account,amount,kind\n${rows(400, 0)}\n`);
  fs.writeFileSync(current, `account,amount,kind\n${rows(300, 40)}\n`);
  const html = path.join(home, 'report.html');
  const result = run([reference, current, '--html', html]);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/^no dataset drift|^DATASET DRIFT/);
  expect(result.stdout).toMatch(/amount\s+numeric\s+ks\s/);
  expect(result.stdout).toContain('skipped account: id-like (400 distinct values in 400 rows)');
  const text = fs.readFileSync(html, 'utf8');
  expect(text).toMatch(/^<!doctype html>/);
  expect(text).not.toMatch(/<script|https?:\/\//);
  expect(text.match(/<svg/g)).toHaveLength(4);
});

test('a missing file is an error that names it', () => {
  const result = run([path.join(home, 'nope.csv'), path.join(FIXTURES, 'compare_small_current.csv')]);
  expect(result.status).not.toBe(0);
  expect(result.stderr).toMatch(/nope\.csv: no such file/);
});
