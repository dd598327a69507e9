#!/usr/bin/env node
'use strict';
/*
 * The `kielto` operator CLI (`npx kielto --help`). The sources are TypeScript in cli/, run through ts-node in
 * transpile-only mode (as `npm run bench` does), so the CLI always matches the checked-out contracts without a
 * build step. Type checking happens in `npm run typecheck` (bin/tsconfig.json for this file) and the tests, not here.
 */
const path = require('node:path');

const root = path.join(__dirname, '..');
// `npx kielto` already runs on the project's Node 24; `bin/kielto.js` typed by hand may not.
require('../scripts/project-node.js').reexecUnderProjectNode();
require('ts-node').register({
  project: path.join(root, 'cli', 'tsconfig.json'),
  transpileOnly: true,
  compilerOptions: { sourceMap: false },
});
require('tsconfig-paths').register({
  baseUrl: root,
  paths: {
    '@kielto/contracts': ['libs/contracts/src'],
    '@kielto/contracts/event-names': ['libs/contracts/src/events/names'],
    '@kielto/contracts/*': ['libs/contracts/src/*'],
  },
});

// Resolves to cli/main.ts through the `.ts` extension ts-node registered above (and is typed by that file).
require('../cli/main')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((/** @type {unknown} */ error) => {
    process.stderr.write(`kielto: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
