import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { CLI, freePort, killGroup, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(300_000);

const homes: string[] = [];
afterAll(() => homes.forEach((home) => fs.rmSync(home, { recursive: true, force: true })));

function runDemo(env: NodeJS.ProcessEnv, args: string[] = []) {
  const result = spawnSync(process.execPath, [CLI, 'demo', ...args], { env, encoding: 'utf8', timeout: 280_000 });
  const lines = result.stdout.trim().split('\n');
  return { ...result, summary: result.status === 0 ? JSON.parse(lines[lines.length - 1]) : null };
}

/** `npm run demo` as a user runs it: the whole loop, unattended, ending with one JSON line. */
describe('mloop demo', () => {
  it('pushes, trains, promotes, serves, detects drift and retrains, decides on a second dataset, and exits 0', async () => {
    const home = tempHome('mloop-demo-');
    homes.push(home);
    // No stack runs on MLOOP_HOME: the demo starts its own there, and leaves the state for the next `mloop up`.
    const result = runDemo({ PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, PORT: String(await freePort()), MLOOP_LOG_LEVEL: 'warn' });
    expect(result.stderr).not.toMatch(/"severity":"ERROR"/);
    expect(result.status).toBe(0);
    const summary = result.summary;
    // day 1 (which the drift retraining, requested before the labels came back, trains on again), day 2
    expect(summary.datasets).toBe(2);
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
    // the AUC estimated before any label, against the one the labels realised afterwards
    expect(summary.drift.alarms).toContain('skew');
    // the demo's mloop.json allows drops of 0.03: the estimate's alarm at the tick, the labels' one only at the next tick, once fed back
    expect(summary.drift.alarms).toContain('estimated_performance');
    expect(summary.drift.alarms).not.toContain('performance');
    expect(summary.drift.alarms_after_labels).toContain('performance');
    expect(Math.abs(summary.drift.estimated_auc - summary.drift.realised_auc)).toBeLessThan(0.03);
    expect(summary.drift.share).toBeGreaterThanOrEqual(0.5);
    expect(summary.drift.drifted).toEqual(expect.arrayContaining(['type', 'amount']));
    expect(summary.drift.drifted).not.toContain('step');
    expect(summary.seconds_to_production).toBeGreaterThan(0);
    expect(summary.seconds_to_production).toBeLessThan(120);
    expect(result.stdout).toContain('no stack was running: started one');
    expect(result.stdout).toContain('answers /score');
    expect(result.stdout).toContain('fed back 10000 labels');
    expect(result.stdout).toMatch(/DATASET DRIFT: \d of 7 features drifted/);
    expect(result.stdout).toMatch(/retraining run-\w+ \(reason drift, dataset \w+: the upload, requested before the labels came back\) succeeded/);
    expect(result.stdout).toMatch(/performance before labels: estimated ROC AUC 0\.\d+ \[0\.\d+, 0\.\d+\].*; realised once 10000 labels came back: ROC AUC 0\.\d+/);
    // the state stays in MLOOP_HOME, not in a folder of the demo's own
    expect(fs.existsSync(`${home}/buckets`)).toBe(true);
  });

  it('runs on the stack already up, whose admin API then lists its runs (the dashboard shows them)', async () => {
    const home = tempHome('mloop-demo-up-');
    homes.push(home);
    const port = await freePort();
    const env = stackEnv(home, port, { MLOOP_LOG_LEVEL: 'warn' });
    const up = startUp(env, `${home}/up.log`);
    try {
      await until('mloop up to answer', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok, 60_000, 50);
      const result = runDemo(env, ['--rows', '30000', '--second-rows', '30000']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`using the running stack on http://127.0.0.1:${port}`);
      const { summary } = result;
      expect(summary).toMatchObject({ datasets: 2, runs: 3, scored: 1000 });
      expect(summary.drift.retrained).toBe(true);

      // newest first
      const { runs } = (await (await fetch(`http://127.0.0.1:${port}/api/runs`)).json()) as { runs: Array<{ id: string; model: string; status: string; reason: string }> };
      expect(runs).toHaveLength(3);
      expect(runs.every((r) => r.model === 'fraud' && r.status === 'succeeded')).toBe(true);
      expect(runs.map((r) => r.reason)).toEqual(expect.arrayContaining(['drift']));
      expect(result.stdout).toContain(runs[runs.length - 1].id);
      // the stack it used is still up: the demo stopped nothing but its own connections
      expect((await fetch(`http://127.0.0.1:${port}/health`)).ok).toBe(true);
      expect(await stopGracefully(up, 45_000)).toBe(0);
    } finally {
      await killGroup(up);
    }
  });
});
