import { spawnSync } from 'node:child_process';
import { CLI } from './helpers';

jest.setTimeout(300_000);

/** `npm run demo` as a user runs it: the whole loop, unattended, ending with one JSON line. */
describe('mloop demo', () => {
  it('pushes, trains, promotes, serves, detects drift and retrains, decides on a second dataset, and exits 0', () => {
    const result = spawnSync(process.execPath, [CLI, 'demo'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 280_000,
    });
    expect(result.stderr).not.toMatch(/"severity":"ERROR"/);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]);
    // day 1, the drift retraining's upload-plus-labels, day 2
    expect(summary.datasets).toBe(3);
    expect(summary.runs).toBe(3);
    expect(summary.production).toMatch(/^v[123]$/);
    expect(summary.auc).toBeGreaterThan(0.8);
    expect(summary.auc).toBeLessThan(1);
    expect(summary.scored).toBe(1000);
    expect(summary.decisions).toHaveLength(3);
    expect(summary.decisions[0]).toMatchObject({ version: 'v1', promoted: true, production_auc: null });
    for (const decision of summary.decisions.slice(1)) {
      expect(typeof decision.promoted).toBe('boolean');
      expect(decision.production_auc).toBeGreaterThan(0.5);
    }
    expect(summary.drift.retrained).toBe(true);
    expect(summary.drift.share).toBeGreaterThanOrEqual(0.5);
    expect(summary.drift.drifted).toEqual(expect.arrayContaining(['type', 'amount']));
    expect(summary.drift.drifted).not.toContain('step');
    expect(summary.seconds_to_production).toBeGreaterThan(0);
    expect(summary.seconds_to_production).toBeLessThan(120);
    expect(result.stdout).toContain('answers /score');
    expect(result.stdout).toContain('fed back 2000 labels');
    expect(result.stdout).toMatch(/DATASET DRIFT: \d of 7 features drifted/);
    expect(result.stdout).toMatch(/retraining run-\w+ \(reason drift, dataset \w+: the upload plus the labels\) succeeded/);
  });
});
