import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import { CLI, cli, cliJson, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from '../e2e/helpers';

jest.setTimeout(120_000);

interface VersionRow {
  version: string;
  stage: string;
}

function mloopAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Manual promotions from two processes at the same moment, over the same SQLite registry: the
 * transactions serialize, the registry ends with one production version whose pointer and trail agree,
 * and the version that lost production says by which version it was replaced.
 */
describe('promotions racing', () => {
  const home = tempHome('mloop-race-');
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const port = await freePort();
    env = stackEnv(home, port, { MLOOP_TRAIN_EPOCHS: '2', MLOOP_PROMOTION_MODE: 'manual' });
    const up = startUp(env, path.join(home, 'up.log'));
    await until('the stack to answer', () => fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok));
    for (const [name, seed] of [['a.csv', 71], ['b.csv', 72]] as const) {
      const csv = path.join(home, name);
      await writeFraudCsv(csv, { rows: 2000, seed });
      cli(['push', csv, '--model', 'fraud'], env);
    }
    await until('two candidates', () => {
      const versions = cliJson<VersionRow[]>(['models'], env);
      return versions.length === 2 && versions.every((v) => v.stage === 'candidate');
    });
    await stopGracefully(up);
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('the same version promoted twice at once: one promotion wins, the other is refused', async () => {
    const results = await Promise.all([mloopAsync(['models', 'approve', 'v1'], env), mloopAsync(['models', 'approve', 'v1'], env)]);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 1]);
    expect(results.find((r) => r.code === 1)!.output).toMatch(/v1 is production, not candidate|already in production/);
    const versions = cliJson<VersionRow[]>(['models'], env);
    expect(versions.filter((v) => v.stage === 'production').map((v) => v.version)).toEqual(['v1']);
  });

  it('two versions promoted at once: one production at the end, the other archived as replaced by it', async () => {
    const results = await Promise.all([mloopAsync(['models', 'promote', 'v2'], env), mloopAsync(['models', 'rollback'], env)]);
    expect(results.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(1);
    const versions = cliJson<Array<VersionRow & { history?: Array<{ to: string; reason: string }> }>>(['models'], env);
    const production = versions.filter((v) => v.stage === 'production');
    expect(production).toHaveLength(1);
    const loser = versions.find((v) => v.stage !== 'production')!;
    expect(loser.stage).toBe('archived');
    const shown = cli(['models', 'show', loser.version], env).stdout;
    expect(shown).toContain(`replaced by ${production[0].version}`);
  });
});
