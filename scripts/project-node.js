// The Node the project runs on: the exact Node 24 LTS of the `node` devDependency, whatever Node the machine
// has (a fresh machine may have an older system Node; npm scripts already find this one first in PATH).
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, realpathSync } = require('node:fs');
const path = require('node:path');

const PROJECT_NODE = path.join(__dirname, '..', 'node_modules', 'node', 'bin', 'node');

/** The project's node binary, or this process's own when the devDependency is not installed. */
function projectNode() {
  return existsSync(PROJECT_NODE) ? PROJECT_NODE : process.execPath;
}

/** Runs this script again under the project's node when started by another one; returns only if it need not. */
function reexecUnderProjectNode() {
  const node = projectNode();
  if (realpathSync(node) === realpathSync(process.execPath)) return;
  const result = spawnSync(node, process.argv.slice(1), { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

module.exports = { projectNode, reexecUnderProjectNode };
