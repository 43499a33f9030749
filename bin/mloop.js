#!/usr/bin/env node
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'cli', 'mloop.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('mloop: dist/ is not built yet: run `npm run build` (npm start and npm test build it too)\n');
  process.exit(1);
}
require(entry);
