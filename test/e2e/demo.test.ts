import { spawnSync } from 'node:child_process';
import { CLI } from './helpers';

jest.setTimeout(300_000);

/** `npm run demo` as a user runs it: the whole loop, unattended, ending with one JSON line. */
describe('mloop demo', () => {
  it('pushes, trains, promotes, serves, decides on a second dataset, and exits 0', () => {
    const result = spawnSync(process.execPath, [CLI, 'demo'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 280_000,
    });
    expect(result.stderr).not.toMatch(/"severity":"ERROR"/);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]);
    expect(summary.datasets).toBe(2);
    expect(summary.runs).toBe(2);
    expect(summary.production).toMatch(/^v[12]$/);
    expect(summary.auc).toBeGreaterThan(0.8);
    expect(summary.auc).toBeLessThan(1);
    expect(summary.scored).toBe(1000);
    expect(summary.decisions).toHaveLength(2);
    expect(summary.decisions[0]).toMatchObject({ version: 'v1', promoted: true, production_auc: null });
    expect(typeof summary.decisions[1].promoted).toBe('boolean');
    expect(summary.decisions[1].production_auc).toBeGreaterThan(0.5);
    expect(summary.seconds_to_production).toBeGreaterThan(0);
    expect(summary.seconds_to_production).toBeLessThan(120);
    expect(result.stdout).toContain('answers /score');
  });
});
