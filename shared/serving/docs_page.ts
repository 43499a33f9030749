import fs from 'node:fs';
import path from 'node:path';
import { MloopError } from '../core/errors';
import type { HttpReply } from './http_types';

/**
 * `GET /docs`: Swagger UI for this service's OpenAPI document, from the swagger-ui-dist package's own
 * files (no CDN: it works offline and behind a firewall). The document is written into the page's
 * script rather than fetched, so the page shows it even where /openapi.json needs a bearer token; the
 * Authorize button takes the token for "Try it out". Only the files named here are served.
 */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mloop API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

let distDir: string | undefined;
// resolved on first use: a server that never shows /docs never looks for the package
function dist(): string {
  distDir ??= (require('swagger-ui-dist/absolute-path.js') as () => string)();
  return distDir;
}

const cache = new Map<string, string>();

function asset(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(dist(), name), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** The reply for `/docs` or `/docs/<file>`; `document` is the OpenAPI document as JSON text. */
export function docsReply(file: string | undefined, document: string): HttpReply {
  const cacheable = { 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' };
  if (!file || file === 'index.html') return { status: 200, body: PAGE, contentType: 'text/html; charset=utf-8', headers: { 'x-content-type-options': 'nosniff' } };
  if (file === 'init.js') {
    const init = `window.ui = SwaggerUIBundle({ spec: ${document.replace(/</g, '\\u003c')}, dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true });\n`;
    return { status: 200, body: init, contentType: 'text/javascript; charset=utf-8', headers: { 'x-content-type-options': 'nosniff' } };
  }
  const type = ASSETS[file];
  if (!type) throw new MloopError('not_found', `no file /docs/${file.slice(0, 64)}`);
  return { status: 200, body: asset(file), contentType: type, headers: cacheable };
}
