import { TrainingRequested } from '../../../../shared/core/events';
import { scheduledRequest } from '../../../../shared/pipeline/sources/scheduled_snapshot';

describe('a scheduled snapshot tick', () => {
  const tick = { model: 'payments', source: 'bigquery', reason: 'schedule' };

  test('becomes a training request named by the message, as of its publish time', () => {
    const request = scheduledRequest(tick, { id: '1234567890', publishTime: '2026-12-02T03:00:00.512Z' });
    expect(TrainingRequested.parse(request)).toEqual({
      request_id: 'schedule:payments:1234567890',
      model: 'payments',
      dataset_version: 'bigquery@2026-12-02T03:00:00.512Z',
      reason: 'schedule',
      requested_at: '2026-12-02T03:00:00.512Z',
      requested_by: 'cloud-scheduler',
      source: 'bigquery',
      snapshot_time: '2026-12-02T03:00:00.512Z',
    });
    // a redelivery is the same request; the next tick another
    expect(scheduledRequest(tick, { id: '1234567890', publishTime: '2026-12-02T03:00:09Z' })).toMatchObject({ request_id: 'schedule:payments:1234567890' });
    expect(scheduledRequest(tick, { id: '1234567999', publishTime: '2026-12-03T03:00:00Z' })).toMatchObject({ request_id: 'schedule:payments:1234567999' });
  });

  test('anything else passes through as published', () => {
    const ordinary = { request_id: 'manual:x', model: 'fraud', dataset_version: 'abc', reason: 'manual', requested_at: '2026-12-02T03:00:00Z' };
    expect(scheduledRequest(ordinary, { id: '1', publishTime: '2026-12-02T03:00:00Z' })).toBe(ordinary);
    expect(scheduledRequest({ ...tick, extra: 1 }, { id: '1', publishTime: '2026-12-02T03:00:00Z' })).toEqual({ ...tick, extra: 1 });
    expect(scheduledRequest(tick, { publishTime: '2026-12-02T03:00:00Z' })).toBe(tick);
  });
});
