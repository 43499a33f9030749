import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { TOPICS } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { artifactsPrefix, type ModelVersionDoc, type Stage } from '../../shared/pipeline/store/documents';
import { storeOf } from '../../shared/pipeline/store';
import { deleteVersion, promoteVersion, rejectVersion, rollback, setAlias } from '../../shared/pipeline/usecases/registry_transitions';
import { createPlatform } from '../../shared/platform';
import { LocalEventBus } from '../../shared/platform/local/event_bus';
import { cliJson, tempHome } from './helpers';

const home = tempHome('mloop-registry-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
const alice = { by: 'alice', reason: 'better recall on last week' };

async function seed(versions: Array<[string, Stage]>) {
  const production = versions.find(([, stage]) => stage === 'production')?.[0] ?? null;
  await storeOf(ctx).models.put({
    name: 'fraud',
    production_version: production,
    previous_version: null,
    next_version: versions.length + 1,
    aliases: production ? { champion: production } : {},
    updated_at: new Date().toISOString(),
  });
  for (const [version, stage] of versions) {
    const doc: ModelVersionDoc = {
      model: 'fraud',
      version,
      stage,
      run_id: `run-${version}`,
      dataset_version: `ds-${version}`,
      artifacts_prefix: artifactsPrefix('fraud', version),
      metrics: { auc: 0.9 },
      decision_id: `dec-${version}`,
      created_at: new Date().toISOString(),
      history: [{ from: null, to: stage, by: 'mloop', at: new Date().toISOString(), reason: 'seeded' }],
    };
    await storeOf(ctx).versions.put(doc);
    await ctx.platform.objects.put(config.artifactsBucket, artifactsPrefix('fraud', version) + 'model.onnx', 'bytes');
  }
}

const stage = async (version: string) => (await storeOf(ctx).versions.get('fraud', version))?.stage;
const model = () => storeOf(ctx).models.get('fraud');
const promotions = () => (ctx.platform.bus as LocalEventBus).queueStats().find((s) => s.subscription === 'probe-promoted')?.pending ?? 0;

beforeAll(async () => {
  await ctx.platform.bus.ensureSubscription(TOPICS.modelPromoted, 'probe-promoted');
  await seed([
    ['v1', 'production'],
    ['v2', 'rejected'],
    ['v3', 'candidate'],
  ]);
});

afterAll(async () => {
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the model registry', () => {
  it('promotes by hand, archiving the old production version, with who and why in the history', async () => {
    await promoteVersion(ctx, 'fraud', 'v3', alice, 'candidate');
    expect(await stage('v3')).toBe('production');
    expect(await stage('v1')).toBe('archived');
    expect(await model()).toMatchObject({ production_version: 'v3', previous_version: 'v1', aliases: { champion: 'v3' } });
    const v3 = await storeOf(ctx).versions.get('fraud', 'v3');
    expect(v3!.history!.at(-1)).toMatchObject({ from: 'candidate', to: 'production', by: 'alice', reason: alice.reason });
    expect(promotions()).toBe(1);
  });

  it('rolls back to the previous production version', async () => {
    const change = await rollback(ctx, 'fraud', { by: 'bob', reason: 'v3 pages too often' });
    expect(change).toMatchObject({ version: 'v1', previous_production: 'v3' });
    expect(await stage('v1')).toBe('production');
    expect(await stage('v3')).toBe('archived');
    expect(promotions()).toBe(2);
  });

  it('refuses moves the stages do not allow', async () => {
    await expect(promoteVersion(ctx, 'fraud', 'v2', alice, 'candidate')).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(rejectVersion(ctx, 'fraud', 'v1', alice)).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(promoteVersion(ctx, 'fraud', 'v1', alice)).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(promoteVersion(ctx, 'fraud', 'v9', alice)).rejects.toMatchObject({ code: 'not_found' });
    await expect(deleteVersion(ctx, 'fraud', 'v1')).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(await stage('v1')).toBe('production');
  });

  it('deletes an archived version and its artifacts', async () => {
    const { deleted } = await deleteVersion(ctx, 'fraud', 'v3');
    expect(deleted).toEqual(['models/fraud/v3/model.onnx']);
    expect(await stage('v3')).toBeUndefined();
    expect(await ctx.platform.objects.list(config.artifactsBucket, 'models/fraud/v3/')).toEqual([]);
  });

  it('keeps free aliases, and champion for production only', async () => {
    await setAlias(ctx, 'fraud', 'challenger', 'v2');
    expect((await model())!.aliases).toMatchObject({ champion: 'v1', challenger: 'v2' });
    await expect(setAlias(ctx, 'fraud', 'champion', 'v2')).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('is what mloop models prints, history included', () => {
    const env = { PATH: process.env.PATH, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn' };
    const shown = cliJson<{ stage: string; aliases: string[]; history: Array<{ to: string; by: string }> }>(['models', 'show', 'v1'], env);
    expect(shown.stage).toBe('production');
    expect(shown.aliases).toEqual(['champion']);
    expect(shown.history.map((h) => h.to)).toEqual(['production', 'archived', 'production']);
    const listed = cliJson<Array<{ version: string; stage: string }>>(['models'], env);
    expect(listed.map((m) => [m.version, m.stage])).toEqual([
      ['v1', 'production'],
      ['v2', 'rejected'],
    ]);
  });
});
