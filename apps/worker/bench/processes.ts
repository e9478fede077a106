import fs from 'node:fs';
import path from 'node:path';
import { delay, repoRoot, startNodeProcess, type Proc } from '@claimline/test-kit';
import type { BareLoopResult } from './bare-sdk.js';

/**
 * The bench's child processes: workers run from their build (`dist/`, as in production: tsx's loader
 * and the TypeScript it compiles would count in the memory figure), the emulator from its sources under
 * tsx (Node with tsx's loader, not the tsx CLI, so the pid we sample and signal is the program itself).
 * Each runs in a process of its own so that its CPU is not shared with the bench driver's event loop.
 */

/** A child of the bench: test-kit's process (pid, last lines, waitForLine, stop with SIGKILL after 15 s). */
export type Child = Proc;

function startNode(script: string, args: string[], env: Record<string, string>, nodeArgs: string[] = []) {
  return startNodeProcess(script, { args, env, nodeArgs, keepLines: 40 });
}

export type EmulatorChild = Child & {
  host: string;
  port: number;
  adminUrl: string;
  files: { caPath: string; claimCertPath: string; claimKeyPath: string; templatesDir: string };
};

export async function startEmulatorChild(stateDir: string): Promise<EmulatorChild> {
  const child = startNode(
    path.join(repoRoot, 'apps/emulator/src/main.ts'),
    [
      '--state-dir',
      stateDir,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--admin-port',
      '0',
      '--control-port',
      '0',
      '--key-algorithm',
      'ec-p256',
      '--quotas',
      'off',
      '--log-level',
      'warn',
    ],
    {},
  );
  const [, host, port, adminUrl] = await child.waitForLine(
    /mqtts:\/\/([\d.]+):(\d+), admin ([^\s,]+)/,
    60_000,
  );
  const client = path.join(stateDir, 'client');
  const files = {
    caPath: path.join(client, 'AmazonRootCA1.pem'),
    claimCertPath: path.join(client, 'claim.cert.pem'),
    claimKeyPath: path.join(client, 'claim.private.key'),
    templatesDir: path.join(client, 'templates'),
  };
  for (const file of Object.values(files))
    if (!fs.existsSync(file)) throw new Error(`emulator client file missing: ${file}`);
  return { ...child, host: host!, port: Number(port), adminUrl: adminUrl!.replace(/\/$/, ''), files };
}

/**
 * The bare SDK loop (bare-sdk.ts) in a child process, so that its CPU is the loop's alone and the bench
 * driver's own work (Prisma, BullMQ, timers, garbage) is not counted in the baseline.
 */
export async function runBareLoopChild(
  emulator: EmulatorChild,
  connections: number,
  flows: number,
  template: string,
  warmupFlows: number,
): Promise<BareLoopResult> {
  const target = { host: emulator.host, port: emulator.port, files: emulator.files };
  const child = startNode(
    path.join(repoRoot, 'apps/worker/bench/bare-sdk-main.ts'),
    [JSON.stringify({ target, connections, flows, template, warmupFlows })],
    {},
  );
  try {
    const [, json] = await child.waitForLine(/^bare-loop (\{.*\})$/, 300_000);
    return JSON.parse(json!) as BareLoopResult;
  } finally {
    await child.stop();
  }
}

export type WorkerChild = Child & { opsUrl: string };

const compiledWorker = path.join(repoRoot, 'apps/worker/dist/main.js');

/** A worker process, returned once every claim connection of its pool is up. */
export async function startWorkerChild(env: Record<string, string>): Promise<WorkerChild> {
  if (!fs.existsSync(compiledWorker))
    throw new Error(`${compiledWorker} is missing: build first (pnpm build)`);
  // BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the workers.
  const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = startNode(compiledWorker, [], env, nodeArgs);
  try {
    const [, opsUrl] = await child.waitForLine(/"opsUrl":"([^"]+)".*worker started/, 60_000);
    const poolSize = Number(env.CLAIM_POOL_SIZE);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const metrics = await fetch(`${opsUrl}/metrics`).then((r) => r.text());
      const up = Number(/^claimline_worker_claim_connections_up (\d+)/m.exec(metrics)?.[1] ?? 0);
      if (up >= poolSize) break;
      if (Date.now() > deadline)
        throw new Error(`only ${up}/${poolSize} claim connections up after 30 s:\n${child.tail()}`);
      await sleep(200);
    }
    return { ...child, opsUrl: opsUrl! };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Resident set size of a process from /proc, in bytes. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

export const sleep = delay;
