import type { DriftReportDoc } from '../../../../shared/pipeline/store/monitoring_documents';
import { localStore, type LocalStore } from './local_store';

let local: LocalStore;
beforeEach(() => {
  local = localStore();
});
afterEach(() => local.cleanup());

function report(id: string, model: string, createdAt: string, fields: Partial<DriftReportDoc> = {}): DriftReportDoc {
  return {
    id,
    model,
    model_version: 'v1',
    created_at: createdAt,
    window: { from: '2026-01-01T00:00:00.000Z', to: createdAt },
    status: 'ok',
    rows: 500,
    min_rows: 100,
    share: 0.1,
    drift_share: 0.5,
    dataset_drift: false,
    drifted: [],
    features: [],
    prediction: null,
    performance: null,
    event: null,
    files: { json: `artifacts/drift/${id}.json`, html: `artifacts/drift/${id}.html` },
    tick_id: null,
    ...fields,
  };
}

describe('drift reports', () => {
  test('a redelivered tick gets the report the first delivery stored, not its own', async () => {
    const first = report('fraud-1', 'fraud', '2026-01-02T00:00:00.000Z', { rows: 500, event: 'drift' });
    expect(await local.store.driftReports.createOrGet(first)).toEqual(first);
    const again = report('fraud-1', 'fraud', '2026-01-02T00:00:00.000Z', { rows: 510, event: null });
    expect(await local.store.driftReports.createOrGet(again)).toEqual(first);
  });

  test("all reports, or one model's, oldest first", async () => {
    await local.store.driftReports.createOrGet(report('fraud-b', 'fraud', '2026-01-03T00:00:00.000Z'));
    await local.store.driftReports.createOrGet(report('churn-a', 'churn', '2026-01-01T00:00:00.000Z'));
    await local.store.driftReports.createOrGet(report('fraud-a', 'fraud', '2026-01-02T00:00:00.000Z'));
    expect((await local.store.driftReports.list()).map((r) => r.id)).toEqual(['churn-a', 'fraud-a', 'fraud-b']);
    expect((await local.store.driftReports.list({ model: 'fraud' })).map((r) => r.id)).toEqual(['fraud-a', 'fraud-b']);
  });
});
