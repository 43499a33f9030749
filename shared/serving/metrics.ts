import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What `GET /metrics` exposes, in Prometheus' text format: requests by route and status, their
 * latency, rows scored per model, and the version each model is served at (an info gauge). A
 * registry of its own per server, so two servers in one process (tests) do not share counts.
 */
export type RouteName =
  | 'score'
  | 'predict'
  | 'v1_predict'
  | 'explain'
  | 'v1_explain'
  | 'v1_model'
  | 'v2_infer'
  | 'v2_model'
  | 'v2_model_ready'
  | 'v2_server'
  | 'v2_live'
  | 'v2_ready'
  | 'health'
  | 'metrics'
  | 'openapi'
  | 'docs'
  | 'feedback'
  | 'unknown';

// Scoring takes tens of microseconds to a few milliseconds; batches of 10 000 rows up to a second.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class ScoringMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly latency: Histogram<'route'>;
  private readonly rows: Counter<'model'>;
  // Children are looked up once per label set: the hot path then only adds.
  private readonly requestChildren = new Map<string, Counter.Internal>();
  private readonly latencyChildren = new Map<string, Histogram.Internal<'route'>>();
  private readonly rowChildren = new Map<string, Counter.Internal>();

  constructor(versions: () => Record<string, string>) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'mloop_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers });
    this.latency = new Histogram({
      name: 'mloop_http_request_duration_seconds',
      help: 'Time from the request being read to the reply being written',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rows = new Counter({ name: 'mloop_rows_scored_total', help: 'Instances scored, by model', labelNames: ['model'], registers });
    new Gauge({
      name: 'mloop_model_info',
      help: 'The version each model is served at (value 1)',
      labelNames: ['model', 'version'],
      registers,
      // Across cluster workers a version is served or not: the max, not the sum.
      aggregator: 'max',
      collect() {
        this.reset();
        for (const [model, version] of Object.entries(versions())) this.set({ model, version }, 1);
      },
    });
  }

  observe(route: RouteName, status: number, seconds: number): void {
    const key = `${route} ${status}`;
    let counter = this.requestChildren.get(key);
    if (!counter) this.requestChildren.set(key, (counter = this.requests.labels(route, String(status))));
    counter.inc();
    let histogram = this.latencyChildren.get(route);
    if (!histogram) this.latencyChildren.set(route, (histogram = this.latency.labels(route)));
    histogram.observe(seconds);
  }

  scored(model: string, count: number): void {
    let counter = this.rowChildren.get(model);
    if (!counter) this.rowChildren.set(model, (counter = this.rows.labels(model)));
    counter.inc(count);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
