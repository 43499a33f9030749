#!/usr/bin/env node
const path = require('node:path');
const fs = require('node:fs');

const dist = path.join(__dirname, '..', 'dist', 'cli');
// `mloop serve` has a bundle of its own, so that every scoring process starts without the whole CLI
const serveOnly = process.argv[2] === 'serve' && fs.existsSync(path.join(dist, 'serve.js'));
const entry = path.join(dist, serveOnly ? 'serve.js' : 'mloop.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('mloop: dist/ is not built yet: run `npm run build` (npm start and npm test build it too)\n');
  process.exit(1);
}
require(entry);
