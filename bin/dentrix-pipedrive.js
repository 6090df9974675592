#!/usr/bin/env node
// `dentrix-pipedrive` (npx dentrix-pipedrive …, or on PATH after `npm link` / a global install): the operator CLI.
// In a clone it runs the TypeScript sources with tsx, so it never runs a stale build; where the sources or tsx are
// absent (a production image, an installed package) it runs the compiled CLI that `npm run build` left in dist/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'src', 'starter.ts');
const compiled = path.join(root, 'dist', 'starter.js');

function tsxRegister() {
  try {
    return require.resolve('tsx/cjs/api', { paths: [root] });
  } catch {
    return undefined;
  }
}

const tsx = fs.existsSync(source) ? tsxRegister() : undefined;
if (tsx) {
  require(tsx).register();
  require(source);
} else if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  process.stderr.write(`dentrix-pipedrive: neither ${source} with tsx (run "npm ci") nor ${compiled} (run "npm run build") is there\n`);
  process.exit(1);
}
