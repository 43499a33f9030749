import express from 'express';
import type { Context } from '../../../shared/pipeline/context';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../shared/pipeline/read_models/run_page';
import { openApiDocument } from '../../../shared/serving/openapi';
import { registerRunRoutes } from '../../../shared/serving/run_routes';

type Operation = { parameters?: Array<{ name: string; schema: { default?: number; maximum?: number } }>; description?: string };

describe('the jobs routes in the OpenAPI document', () => {
  const paths = (openApiDocument('test') as { paths: Record<string, Record<string, Operation>> }).paths;

  test('every route run_routes.ts registers is described, with its method', () => {
    const router = express.Router();
    registerRunRoutes(router, {} as Context, { stopsExecutions: false });
    const routes = router.stack.flatMap((layer) => {
      const route = layer.route as { path: string; methods: Record<string, boolean> } | undefined;
      return route ? Object.keys(route.methods).map((method) => [method, `/api${route.path.replace(/:(\w+)/g, '{$1}')}`]) : [];
    });
    expect(routes.length).toBe(4);
    for (const [method, path] of routes) expect([method, path, paths[path]?.[method] !== undefined]).toEqual([method, path, true]);
  });

  test('the page sizes it states are the read model\'s', () => {
    const limit = paths['/api/runs'].get.parameters!.find((p) => p.name === 'limit')!;
    expect(limit.schema.maximum).toBe(MAX_PAGE_SIZE);
    expect(JSON.stringify(limit)).toContain(`default ${DEFAULT_PAGE_SIZE}`);
  });
});
