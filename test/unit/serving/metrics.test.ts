import { ScoringMetrics } from '../../../shared/serving/metrics';

describe('ScoringMetrics', () => {
  it('shows what was counted, and collecting twice does not count twice', async () => {
    const metrics = new ScoringMetrics(() => ({ fraud: 'v3' }));
    for (let i = 0; i < 3; i++) metrics.observe('score', 200, 0.002);
    metrics.observe('score', 400, 0.001);
    metrics.scored('fraud', 5);
    metrics.scored('fraud', 2);
    metrics.scored('churn', 0);
    await metrics.text();
    const text = await metrics.text();
    expect(text).toMatch(/^mloop_http_requests_total\{route="score",status="200"\} 3$/m);
    expect(text).toMatch(/^mloop_http_requests_total\{route="score",status="400"\} 1$/m);
    expect(text).toMatch(/^mloop_rows_scored_total\{model="fraud"\} 7$/m);
    expect(text).toMatch(/^mloop_rows_scored_total\{model="churn"\} 0$/m);
    expect(text).toMatch(/^mloop_http_request_duration_seconds_count\{route="score"\} 4$/m);
    expect(text).toMatch(/^mloop_model_info\{model="fraud",version="v3"\} 1$/m);
  });

  it('shows no series for what never happened', async () => {
    const text = await new ScoringMetrics(() => ({})).text();
    expect(text).not.toMatch(/^mloop_http_requests_total\{/m);
    expect(text).not.toMatch(/^mloop_rows_scored_total\{/m);
  });
});
