import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { Context } from '../../shared/pipeline/context';
import { PREDICTIONS_PREFIX, readPredictionObject, type PredictionRecord } from '../../shared/pipeline/store/prediction_records';
import { createPlatform } from '../../shared/platform';
import { installVersion } from '../../shared/pipeline/usecases/install_version';
import { FRAUD_ROW, trainSmallModel } from '../support/trained_model';
import { killGroup, startServe, tempHome } from './helpers';

jest.setTimeout(120_000);

const home = tempHome('mloop-serve-log-');
const config = configFor(home);
const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
let child: ChildProcess;

afterAll(async () => {
  if (child.exitCode === null) await killGroup(child);
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/**
 * The prediction log of a real `mloop serve` (two workers) under concurrent requests: batches are
 * written whenever 7 rows are buffered, mid-load, and the timer never fires, so what is still buffered
 * when the server is stopped reaches the store only through the flush on SIGTERM.
 */
describe('mloop serve with the prediction log', () => {
  it('logs every row of every concurrent request exactly once, the last ones on SIGTERM', async () => {
    const dir = await trainSmallModel(home);
    await installVersion(ctx, 'fraud', 'v1', dir);
    const started = await startServe(home, { MLOOP_PREDICTION_FLUSH_MS: '3600000', MLOOP_PREDICTION_MAX_BUFFER: '7' });
    child = started.child;
    const url = started.url;

    // 16 clients, 300 requests of 1 to 4 rows, each row with an amount that says which request and row it is
    const sent = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 300) {
          const r = next++;
          const rows = 1 + (r % 4);
          const id = `req-${r}`;
          const instances = Array.from({ length: rows }, (_, i) => ({ ...FRAUD_ROW, amount: r * 10 + i, type: i % 2 ? 'PAYMENT' : 'TRANSFER' }));
          const response = await fetch(`${url}/score/fraud`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ instances }) });
          expect(response.status).toBe(200);
          await response.arrayBuffer();
          sent.set(id, rows);
        }
      }),
    );
    const total = [...sent.values()].reduce((a, b) => a + b, 0);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    process.kill(-child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);

    const records: PredictionRecord[] = [];
    for (const object of await ctx.platform.objects.list(config.artifactsBucket, PREDICTIONS_PREFIX)) {
      records.push(...(await readPredictionObject(ctx, object.bucket, object.name)));
    }
    const seen = records.map((r) => `${r.request_id}/${r.index}`);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
    for (const record of records) {
      const r = Number(record.request_id.slice(4));
      expect(record.index).toBeLessThan(sent.get(record.request_id)!);
      expect(record.features).toEqual({ ...FRAUD_ROW, amount: r * 10 + record.index, type: record.index % 2 ? 'PAYMENT' : 'TRANSFER' });
      expect(typeof record.prediction.score).toBe('number');
    }
  });
});
