import { localStore, type LocalStore } from './local_store';

let local: LocalStore;
beforeEach(() => {
  local = localStore();
});
afterEach(() => local.cleanup());

describe('feedback', () => {
  test('labels since an instant, by (request id, index); a label sent again replaces the first', async () => {
    const label = (request_id: string, index: number, value: 0 | 1, received_at: string) => ({ request_id, index, label: value, source: 'http', received_at });
    await local.store.feedback.put(label('req-1', 0, 1, '2026-01-01T00:00:00.000Z'));
    await local.store.feedback.put(label('req-1', 1, 0, '2026-01-02T00:00:00.000Z'));
    await local.store.feedback.put(label('req-2', 0, 1, '2026-01-02T00:00:00.000Z'));
    await local.store.feedback.put(label('req-2', 0, 0, '2026-01-03T00:00:00.000Z'));
    const labels = await local.store.feedback.labelsSince(new Date('2026-01-02T00:00:00.000Z'));
    expect([...labels].sort()).toEqual([
      ['req-1#1', 0],
      ['req-2#0', 0],
    ]);
  });
});
