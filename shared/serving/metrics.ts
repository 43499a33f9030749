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
  // The counters count in plain numbers, copied into prom-client when it collects: a prom-client child's
  // inc() hashes its labels again on every call, which is most of what counting cost per request.
  private readonly requestCounts = new Map<string, { route: RouteName; status: string; count: number }>();
  private readonly rowCounts = new Map<string, number>();
  // Histogram children are looked up once per route: prom-client offers no cheaper way to fill buckets.
  private readonly latencyChildren = new Map<string, Histogram.Internal<'route'>>();

  constructor(versions: () => Record<string, string>) {
    const registers = [this.registry];
    const requestCounts = this.requestCounts;
    const rowCounts = this.rowCounts;
    this.requests = new Counter({
      name: 'mloop_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const { route, status, count } of requestCounts.values()) this.inc({ route, status }, count);
      },
    });
    this.latency = new Histogram({
      name: 'mloop_http_request_duration_seconds',
      help: 'Time from the request being read to the reply being written',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.rows = new Counter({
      name: 'mloop_rows_scored_total',
      help: 'Instances scored, by model',
      labelNames: ['model'],
      registers,
      collect() {
        this.reset();
        for (const [model, count] of rowCounts) this.inc({ model }, count);
      },
    });
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
    const counted = this.requestCounts.get(key);
    if (counted) counted.count++;
    else this.requestCounts.set(key, { route, status: String(status), count: 1 });
    let histogram = this.latencyChildren.get(route);
    if (!histogram) this.latencyChildren.set(route, (histogram = this.latency.labels(route)));
    histogram.observe(seconds);
  }

  scored(model: string, count: number): void {
    this.rowCounts.set(model, (this.rowCounts.get(model) ?? 0) + count);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
