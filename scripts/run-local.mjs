// Runs every claimline process that exists so far in one terminal, with one log stream; Ctrl-C
// (SIGINT) or SIGTERM stops them all gracefully. Processes are added here as their apps land.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [{ name: 'emulator', entry: 'apps/emulator/dist/main.js' }];
const processes = candidates.filter((p) => fs.existsSync(path.join(root, p.entry)));

if (processes.length === 0) {
  console.log('claimline: database migrated; no long-running process has been built yet.');
  process.exit(0);
}

const children = processes.map(({ name, entry }) => {
  const child = spawn(process.execPath, [path.join(root, entry)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${name.padEnd(9)}| ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`${name.padEnd(9)}| exited (${signal ?? code})`);
    if (!stopping) stop(code ?? 1);
  });
  return child;
});

let stopping = false;
function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const force = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 20_000);
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r))))).then(() => {
    clearTimeout(force);
    process.exit(exitCode);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
