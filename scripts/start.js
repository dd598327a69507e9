#!/usr/bin/env node
// `npm start`: brings up Kafka and FerretDB if needed, builds, starts the four services, waits until each
// answers /health/ready, prints their URLs, and on Ctrl-C / SIGTERM stops the services and whatever
// infrastructure it started itself.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const path = require('node:path');
const { projectNode } = require('./project-node');

const root = path.join(__dirname, '..');
const infra = path.join(root, 'scripts', 'infra.sh');
// Ports: CUSTOMERS_PORT, CONSENTS_PORT, DIRECTORY_BANS_PORT, SUPPRESSION_PORT override the defaults.
const SERVICES = [
  { name: 'customers', port: 3001 },
  { name: 'consents', port: 3002 },
  { name: 'directory-bans', port: 3003 },
  { name: 'suppression', port: 3004 },
].map(({ name, port }) => ({ name, port: Number(process.env[`${name.toUpperCase().replace('-', '_')}_PORT`] || port) }));
const host = process.env.HOST || '127.0.0.1';
const children = new Map();
let infraStartedHere = false;
let stopping = false;

const log = (msg) => process.stdout.write(`[kielto] ${msg}\n`);

function mainOf(name) {
  return path.join(root, 'dist', 'apps', name, 'apps', name, 'src', 'main.js');
}

async function waitReady(url, deadline) {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

function prefixLines(name, stream, out) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop();
    for (const line of lines) out.write(`${name.padEnd(14)}| ${line}\n`);
  });
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  log('stopping services…');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15000).unref();
        }),
    ),
  );
  if (infraStartedHere) execFileSync('bash', [infra, 'down'], { stdio: 'inherit' });
  process.exit(code);
}

async function main() {
  const before = execFileSync('bash', [infra, 'status'], { encoding: 'utf8' });
  execFileSync('bash', [infra, 'up'], { stdio: 'inherit' });
  infraStartedHere = !/running/.test(before);
  if (process.env.KIELTO_SKIP_BUILD !== '1') {
    log('building…');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const { name, port } of SERVICES) {
    const child = spawn(projectNode(), ['--enable-source-maps', mainOf(name)], {
      cwd: root,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    prefixLines(name, child.stdout, process.stdout);
    prefixLines(name, child.stderr, process.stderr);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal || code}); stopping everything`);
        void stop(1);
      }
    });
    children.set(name, child);
  }
  const deadline = Date.now() + 120000;
  const results = await Promise.all(SERVICES.map(({ port }) => waitReady(`http://${host}:${port}`, deadline)));
  SERVICES.forEach(({ name, port }, i) =>
    log(`${name.padEnd(14)} http://${host}:${port}  ${results[i] ? 'ready' : 'NOT READY'}  (docs: /docs)`),
  );
  if (results.every(Boolean)) log('all services ready — Ctrl-C stops everything');
  else log('some services are not ready; see their logs above');
}

main().catch((error) => {
  console.error(error);
  void stop(1);
});
