import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machineCpuMs, processCpuMs, startNodeProcess } from '@claimline/test-kit';

/** The API bench's load phases: autocannon in a process of its own, and what each phase cost in CPU. */

export type LoadSummary = { rps: number; p50: number; p99: number; non2xx: number; errors: number };

/**
 * autocannon in its own process (load-generator.ts): 100 connections for `seconds`; with `paths`, each
 * request asks for the next one of them.
 */
export async function autocannon(
  url: string,
  auth: string | undefined,
  seconds: number,
  paths?: string[],
): Promise<LoadSummary> {
  const generator = startNodeProcess(path.join(__dirname, 'load-generator.ts'), {
    stdin: 'pipe',
    keepLines: 20,
  });
  generator.child.stdin!.end(JSON.stringify({ url, paths, authorization: auth, connections: 100, seconds }));
  const [line] = await generator.waitForLine(/^\{"rps".*\}$/, (seconds + 60) * 1000);
  await generator.exited;
  return JSON.parse(line) as LoadSummary;
}

export type Measured = LoadSummary & { requests: number; apiUs: number; machineUs: number };

/** A load phase with the CPU it cost per request: the API process's, and the whole machine's. */
export async function measured(apiPid: number, run: () => Promise<LoadSummary>): Promise<Measured> {
  const [api0, machine0, started] = [processCpuMs(apiPid), machineCpuMs().busy, performance.now()];
  const summary = await run();
  const requests = (summary.rps * (performance.now() - started)) / 1000;
  return {
    ...summary,
    requests,
    apiUs: ((processCpuMs(apiPid) - api0) * 1000) / requests,
    machineUs: ((machineCpuMs().busy - machine0) * 1000) / requests,
  };
}

/** Phases of one kind together: rates and CPU weighted by requests, the worst p99, errors summed. */
export function combined(phases: Measured[]): Measured {
  const requests = phases.reduce((n, p) => n + p.requests, 0);
  const weighted = (f: (p: Measured) => number) =>
    phases.reduce((n, p) => n + f(p) * p.requests, 0) / requests;
  return {
    rps: phases.reduce((n, p) => n + p.rps, 0) / phases.length,
    p50: weighted((p) => p.p50),
    p99: Math.max(...phases.map((p) => p.p99)),
    non2xx: phases.reduce((n, p) => n + p.non2xx, 0),
    errors: phases.reduce((n, p) => n + p.errors, 0),
    requests,
    apiUs: weighted((p) => p.apiUs),
    machineUs: weighted((p) => p.machineUs),
  };
}
