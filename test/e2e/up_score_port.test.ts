import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { createPlatform } from '../../shared/platform';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { freePort, killGroup, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-up-serve-');

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

test('mloop up with MLOOP_SCORE_PORT also scores from serve workers on that port, and stops them with itself', async () => {
  const config = configFor(home);
  const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  await installVersion(ctx, 'fraud', 'v1', await trainSmallModel(home));
  await ctx.platform.close();
  const [port, scorePort] = [await freePort(), await freePort()];
  const up = startUp(stackEnv(home, port, { MLOOP_SCORE_PORT: String(scorePort), MLOOP_SERVE_WORKERS: '2', MLOOP_LOG_LEVEL: 'warn' }), `${home}/up.log`);
  try {
    const score = (p: number) =>
      fetch(`http://127.0.0.1:${p}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [FRAUD_ROW] }) });
    const [main, workers] = await until('both ports to score', async () => {
      const answers = await Promise.all([score(port), score(scorePort)]);
      return answers.every((r) => r.status === 200) ? Promise.all(answers.map((r) => r.json())) : null;
    }, 60_000, 200);
    expect(main.predictions).toEqual(workers.predictions);
    expect(workers.model_version).toBe('v1');
    expect(await (await fetch(`http://127.0.0.1:${scorePort}/metrics`)).text()).toMatch(/^mloop_rows_scored_total\{model="fraud"\} [1-9]/m);

    expect(await stopGracefully(up, 45_000)).toBe(0);
    await expect(score(scorePort)).rejects.toThrow();
  } finally {
    // A failed expectation must not leave the stack and its workers running after the test.
    await killGroup(up);
  }
});

test('a Ctrl-C while the scoring workers start still stops mloop up and its workers cleanly', async () => {
  const [port, scorePort] = [await freePort(), await freePort()];
  const up = startUp(stackEnv(home, port, { MLOOP_SCORE_PORT: String(scorePort), MLOOP_SERVE_WORKERS: '2', MLOOP_LOG_LEVEL: 'warn' }), `${home}/up-early.log`);
  try {
    // The admin port listens before the workers are forked: the signal lands while they start.
    await until('the admin port', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok, 60_000, 20);
    expect(await stopGracefully(up, 45_000)).toBe(0);
    // Nothing of the process group is left: no orphaned scoring worker holds the port.
    expect(() => process.kill(-up.pid!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  } finally {
    await killGroup(up);
  }
});

