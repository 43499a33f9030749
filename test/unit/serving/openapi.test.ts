import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { configFor } from '../../../shared/core/config';
import { createLogger } from '../../../shared/core/log';
import type { Context } from '../../../shared/pipeline/context';
import { adminApi } from '../../../shared/serving/admin_api';
import { openApiDocument } from '../../../shared/serving/openapi';

/** The admin router's own routes, as express registered them: (METHOD, /api/path/{param}). */
function adminRoutes(): Array<[string, string]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-openapi-'));
  try {
    // building the router reads only the configuration: no platform is started, no request made
    const ctx = { config: configFor(home), log: createLogger('silent'), platform: {} } as unknown as Context;
    const router = adminApi(ctx, { monitorNow: async () => null });
    const stack = (router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack;
    return stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route!.methods)
          .filter((m) => m !== '_all')
          .map((m): [string, string] => [m.toUpperCase(), '/api' + layer.route!.path.replace(/:([A-Za-z_]+)/g, '{$1}')]),
      );
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  const document = openApiDocument('0.0.0-test') as { paths: Record<string, Record<string, unknown>> };

  it('describes every route of the admin API', () => {
    const routes = adminRoutes();
    // the walk itself found the routes (a router shape it cannot read must not pass as "nothing missing")
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toContainEqual(['POST', '/api/models/{model}/versions']);
    const missing = routes.filter(([method, route]) => !document.paths[route]?.[method.toLowerCase()]).map(([m, r]) => `${m} ${r}`);
    expect(missing).toEqual([]);
  });

  it('describes the explain routes and the explain option of /score', () => {
    expect(document.paths['/explain/{name}']?.post).toBeDefined();
    expect(document.paths['/v1/models/{name}:explain']?.post).toBeDefined();
    const schemas = (document as unknown as { components: { schemas: Record<string, { properties: Record<string, unknown> }> } }).components.schemas;
    expect(Object.keys(schemas.ScoreRequest.properties)).toEqual(['instances', 'explain', 'explain_top_k']);
    expect(Object.keys(schemas.Explanation.properties)).toEqual(expect.arrayContaining(['base_value', 'raw_score', 'score', 'contributions']));
  });

  it('is a valid OpenAPI 3.0 document', async () => {
    // validate() dereferences in place: give it a copy
    await expect(SwaggerParser.validate(JSON.parse(JSON.stringify(document)))).resolves.toBeDefined();
  });

  it('declares every path parameter of every operation', () => {
    for (const [route, operations] of Object.entries(document.paths)) {
      const names = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, operation] of Object.entries(operations)) {
        const declared = ((operation as { parameters?: Array<{ name: string; in: string }> }).parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect({ route, method, parameters: declared.sort() }).toEqual({ route, method, parameters: names.sort() });
      }
    }
  });
});
