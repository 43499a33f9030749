#!/usr/bin/env node
require('../dist/cli/mloop.js');
