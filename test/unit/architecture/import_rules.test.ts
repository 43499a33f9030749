import path from 'node:path';
import { importEdges, RULES, violations, type ImportEdge } from '../../support/import_rules';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FOLDERS = ['shared', 'functions', 'jobs', 'cli', 'bench', 'test', 'dashboard/src', 'scripts'];

describe('import rules', () => {
  test('the tree keeps every rule', () => {
    const edges = importEdges(ROOT, FOLDERS);
    // The scan itself must see the tree, or an empty list would pass.
    expect(edges.length).toBeGreaterThan(500);
    expect(edges).toContainEqual({ from: 'shared/pipeline/context.ts', to: 'shared/platform/ports.ts', typeOnly: true });
    expect(violations(edges).map((v) => `${v.from} → ${v.to}: ${v.rule}`)).toEqual([]);
  });

  // Each forbidden import the design names, introduced into a real file of the tree: the rule catches it.
  const FORBIDDEN: Array<[ImportEdge, string]> = [
    [{ from: 'shared/core/events.ts', to: 'shared/ml/models/registry.ts' }, 'core imports nothing above it'],
    [{ from: 'shared/data/csv.ts', to: 'shared/ml/metrics.ts' }, 'data imports only core'],
    [{ from: 'shared/data/csv.ts', to: 'shared/monitoring/psi.ts' }, 'data imports only core'],
    [{ from: 'shared/data/csv.ts', to: 'shared/pipeline/context.ts' }, 'data imports only core'],
    [{ from: 'shared/data/csv.ts', to: 'shared/serving/router.ts' }, 'data imports only core'],
    [{ from: 'shared/data/csv.ts', to: 'shared/platform/ports.ts' }, 'data imports only core'],
    [{ from: 'shared/ml/metrics.ts', to: 'shared/pipeline/context.ts' }, 'ml and monitoring import neither pipeline, serving nor platform'],
    [{ from: 'shared/monitoring/psi.ts', to: 'shared/serving/router.ts' }, 'ml and monitoring import neither pipeline, serving nor platform'],
    [{ from: 'shared/ml/scorer.ts', to: 'shared/platform/ports.ts' }, 'ml and monitoring import neither pipeline, serving nor platform'],
    [{ from: 'shared/pipeline/handlers.ts', to: 'shared/platform/local/event_bus.ts' }, 'pipeline reaches the platform through its ports only, and never serving'],
    [{ from: 'shared/pipeline/handlers.ts', to: 'shared/platform/index.ts' }, 'pipeline reaches the platform through its ports only, and never serving'],
    [{ from: 'shared/pipeline/handlers.ts', to: 'shared/serving/model_server.ts' }, 'pipeline reaches the platform through its ports only, and never serving'],
    [{ from: 'shared/platform/gcp/object_store.ts', to: 'shared/platform/local/object_store.ts' }, 'an adapter never imports another adapter'],
    [{ from: 'shared/platform/local/event_bus.ts', to: 'shared/platform/gcp/event_bus.ts' }, 'an adapter never imports another adapter'],
    [{ from: 'shared/pipeline/handlers.ts', to: '@google-cloud/firestore' }, 'only the platform imports a cloud SDK or SQLite'],
    [{ from: 'shared/serving/router.ts', to: 'better-sqlite3' }, 'only the platform imports a cloud SDK or SQLite'],
    [{ from: 'bench/serve.ts', to: 'test/support/trained_model.ts' }, 'bench and test never import each other'],
    [{ from: 'test/faults/large_upload.test.ts', to: 'bench/ingest_memory.ts' }, 'bench and test never import each other'],
    [{ from: 'shared/serving/router.ts', to: 'cli/main.ts' }, 'shared never imports the entry points, bench or test'],
    [{ from: 'dashboard/src/views/runs.ts', to: 'shared/pipeline/read_models/listings.ts' }, 'the dashboard runs in the browser: it imports the API types, no server code'],
  ];
  test.each(FORBIDDEN)('%o breaks “%s”', (edge, rule) => {
    expect(violations([edge]).map((v) => v.rule)).toContain(rule);
  });

  test('what the design allows passes', () => {
    const allowed: ImportEdge[] = [
      { from: 'shared/ml/metrics.ts', to: 'shared/data/column_store.ts' },
      { from: 'shared/pipeline/handlers.ts', to: 'shared/platform/ports.ts' },
      { from: 'shared/serving/router.ts', to: 'shared/pipeline/context.ts' },
      { from: 'shared/platform/gcp/object_store.ts', to: 'shared/platform/content_types.ts' },
      { from: 'cli/stack.ts', to: 'shared/platform/local/instance_lock.ts' },
      { from: 'shared/platform/gcp/event_bus.ts', to: '@google-cloud/pubsub' },
      { from: 'dashboard/src/views/runs.ts', to: 'shared/pipeline/read_models/listings.ts', typeOnly: true },
    ];
    expect(violations(allowed)).toEqual([]);
    expect(RULES.length).toBeGreaterThanOrEqual(10);
  });
});
