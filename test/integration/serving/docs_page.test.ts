import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configFor } from '../../../shared/core/config';
import { createLogger } from '../../../shared/core/log';
import type { Context } from '../../../shared/pipeline/context';
import { MloopError } from '../../../shared/core/errors';
import { nodeHttpHandler } from '../../../shared/serving/node_http';
import { scoringService } from '../../../shared/serving/service';
import { createPlatform } from '../../../shared/platform';
import { launchChromium } from '../../e2e/browser';

jest.setTimeout(120_000);

/** The scoring service's /docs on node:http (as `mloop up` and `mloop serve` run it), read by chromium. */
const KEY = 'docs-test-key';
const homes: string[] = [];
const servers: Server[] = [];
const contexts: Context[] = [];

async function serve(env: Record<string, string>): Promise<string> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-docs-'));
  homes.push(home);
  const config = configFor(home, env);
  const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  contexts.push(ctx);
  // no model is needed to show the documentation: a scoring request would say so
  const { router } = scoringService(ctx, async () => {
    throw new MloopError('unavailable', 'no model in this test');
  });
  const server = createServer(nodeHttpHandler(router, config.maxBodyBytes));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  for (const ctx of contexts) await ctx.platform.close();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

describe('GET /docs', () => {
  it('renders the operations of the scoring and admin APIs in chromium, from the package\'s own files', async () => {
    const url = await serve({ MLOOP_API_KEY: KEY });
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const outside: string[] = [];
      // offline: every request the page makes stays on this server
      page.on('request', (request) => {
        if (!request.url().startsWith(url) && !request.url().startsWith('data:')) outside.push(request.url());
      });
      const response = await page.goto(`${url}/docs`);
      expect(response?.status()).toBe(200);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      const paths = await page.$$eval('.opblock-summary-path', (nodes) => nodes.map((n) => n.getAttribute('data-path') ?? n.textContent ?? ''));
      expect(paths).toEqual(expect.arrayContaining(['/score/{name}', '/api/models/{model}/versions', '/api/models/{model}/versions/{version}/download']));
      const methods = await page.$$eval('.opblock-summary-method', (nodes) => nodes.map((n) => n.textContent));
      expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
      expect(outside).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('serves only the files it names, and follows the admin reads\' rule for credentials', async () => {
    const open = await serve({ MLOOP_API_KEY: KEY });
    expect((await fetch(`${open}/docs/swagger-ui.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    for (const file of ['package.json', 'index.js', '..%2Fpackage.json']) expect((await fetch(`${open}/docs/${file}`)).status).toBe(404);
    // /openapi.json itself still needs the key; /docs does not while admin reads are open
    expect((await fetch(`${open}/openapi.json`)).status).toBe(401);
    const guarded = await serve({ MLOOP_API_KEY: KEY, MLOOP_DASHBOARD_READS: 'key' });
    expect((await fetch(`${guarded}/docs`)).status).toBe(401);
    expect((await fetch(`${guarded}/docs`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });
});
