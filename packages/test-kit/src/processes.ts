import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The workspace root (this file is packages/test-kit/{src,dist}/processes.*). */
export const repoRoot = path.resolve(__dirname, '../../..');
const tsxLoader = () => require.resolve('tsx/cjs', { paths: [repoRoot] });

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type Proc = {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last lines of stdout and stderr (at most `keepLines`). */
  lines: string[];
  exited: Promise<Exit>;
  alive(): boolean;
  /** Resolves with the first line (from now on, or already kept) matching `pattern`; rejects on time-out or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
  tail(n?: number): string;
};

export type StartOptions = {
  name?: string;
  args?: string[];
  /** The child's whole environment is PATH, HOME and this (nothing leaks from the test's own). */
  env?: Record<string, string>;
  nodeArgs?: string[];
  stdin?: 'ignore' | 'pipe';
  cwd?: string;
  keepLines?: number;
};

/**
 * A Node program as a child process: a `.ts` entry runs from its sources (Node with tsx's loader and the
 * `claimline-source` condition, not the tsx CLI, so the pid is the program itself), a `.js` entry as built.
 */
export function startNodeProcess(entry: string, options: StartOptions = {}): Proc {
  const script = path.isAbsolute(entry) ? entry : path.join(repoRoot, entry);
  const fromSources = script.endsWith('.ts')
    ? ['--require', tsxLoader(), '--conditions=claimline-source']
    : [];
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), ...fromSources, script, ...(options.args ?? [])],
    {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    },
  );
  return track(options.name ?? path.basename(entry), child, options.keepLines ?? 300);
}

function track(name: string, child: ChildProcess, keepLines: number): Proc {
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const keep = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (!line.trim()) continue;
        lines.push(line);
        if (lines.length > keepLines) lines.shift();
        for (const listener of listeners) listener(line);
      }
    });
  };
  keep(child.stdout);
  keep(child.stderr);
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const tail = (n = 40) =>
    lines
      .slice(-n)
      .map((line) => `  ${name}| ${line}`)
      .join('\n');
  return {
    name,
    child,
    pid: child.pid ?? -1,
    lines,
    exited,
    alive,
    tail,
    waitForLine(pattern, timeoutMs) {
      const kept = lines.map((line) => line.match(pattern)).find(Boolean);
      if (kept) return Promise.resolve(kept);
      return new Promise((resolve, reject) => {
        const finish = (error: Error | null, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(onLine);
          if (error) reject(error);
          else resolve(match!);
        };
        const onLine = (line: string) => {
          const match = line.match(pattern);
          if (match) finish(null, match);
        };
        const timer = setTimeout(
          () => finish(new Error(`${name}: no line matching ${pattern} within ${timeoutMs} ms\n${tail()}`)),
          timeoutMs,
        );
        listeners.add(onLine);
        void exited.then(({ code, signal }) =>
          finish(
            new Error(`${name} exited (${signal ?? code}) before a line matching ${pattern}\n${tail()}`),
          ),
        );
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (!alive()) return exited;
      child.kill(signal);
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return exit;
    },
  };
}
