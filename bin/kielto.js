#!/usr/bin/env node
'use strict';
/*
 * The `kielto` operator CLI (`npx kielto --help`). The sources are TypeScript in cli/, run through ts-node in
 * transpile-only mode (as `npm run bench` does), so the CLI always matches the checked-out contracts without a
 * build step. Type checking happens in `npm run typecheck` / the tests, not here.
 */
const path = require('node:path');

const root = path.join(__dirname, '..');
// `npx kielto` already runs on the project's Node 24; `bin/kielto.js` typed by hand may not.
require(path.join(root, 'scripts', 'project-node.js')).reexecUnderProjectNode();
require('ts-node').register({
  project: path.join(root, 'cli', 'tsconfig.json'),
  transpileOnly: true,
  compilerOptions: { sourceMap: false },
});
require('tsconfig-paths').register({
  baseUrl: root,
  paths: { '@kielto/contracts': ['libs/contracts/src'] },
});

require(path.join(root, 'cli', 'main.ts'))
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    process.stderr.write(`kielto: ${error && error.message ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
