#!/usr/bin/env node
// pnpm bench [--only <package>]: runs the `bench` script of every workspace package that has one, each
// with --json, then prints one table and writes bench-results.json. Benchmarks, not tests: a figure that
// misses its target is reported (pass: false), it does not fail the command; a bench that breaks does.
//
// The contract for a package's bench: with --json, its last stdout line is
//   {"bench": "<package>", "results": [{"name", "value", "unit", "baseline": {"name", "value"} | null,
//                                       "ratio", "target": "<text>" | null, "pass": bool | null}]}
// where every ratio is measured against a baseline from the same run. See docs/benchmarks.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 6 * 60_000);

function parseArgs(argv) {
  const only = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--only') only.push(argv[++i]);
    else if (argv[i].startsWith('--only=')) only.push(argv[i].slice('--only='.length));
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(
        'usage: pnpm bench [--only <package>]...   (package: @claimline/worker, worker or apps/worker)',
      );
      process.exit(0);
    } else throw new Error(`unknown argument: ${argv[i]}`);
  }
  return { only: only.filter(Boolean) };
}

/** Workspace packages from pnpm-workspace.yaml (`dir/*` patterns), sorted by directory. */
function workspacePackages() {
  const yaml = fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const patterns = [...yaml.matchAll(/^\s*-\s*["']?([^"'\n]+?)["']?\s*$/gm)].map((m) => m[1]);
  const dirs = [];
  for (const pattern of patterns) {
    if (!pattern.endsWith('/*')) {
      dirs.push(pattern);
      continue;
    }
    const parent = pattern.slice(0, -2);
    if (!fs.existsSync(path.join(root, parent))) continue;
    for (const entry of fs.readdirSync(path.join(root, parent), { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
    }
  }
  return dirs
    .sort()
    .map((dir) => {
      const file = path.join(root, dir, 'package.json');
      if (!fs.existsSync(file)) return undefined;
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      return { dir, name: manifest.name ?? dir, bench: manifest.scripts?.bench };
    })
    .filter(Boolean);
}

const matches = (pkg, wanted) =>
  wanted === pkg.name ||
  wanted === pkg.dir ||
  wanted === path.basename(pkg.dir) ||
  wanted === pkg.name.split('/').pop();

/** Runs one package's bench; its output is shown live on stderr, its stdout is kept for the JSON line. */
function runBench(pkg) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn('pnpm', ['run', 'bench', '--json'], {
      cwd: path.join(root, pkg.dir),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderrTail = '';
    const prefix = `[${pkg.name}] `;
    const show = (text) => process.stderr.write(text.replace(/^(?=.)/gm, prefix));
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      show(chunk.toString());
    });
    child.stderr.on('data', (chunk) => {
      stderrTail = (stderrTail + chunk).slice(-4_000);
      show(chunk.toString());
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The bench and everything it started (its process group): it could not clean up in time.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, TIMEOUT_MS);
    child.on('error', (error) => finish(null, error.message));
    child.on('close', (code) => finish(code));
    let done = false;
    function finish(code, spawnError) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
      const report = lastJsonLine(stdout);
      if (spawnError || timedOut || code !== 0 || !report) {
        const why =
          spawnError ??
          (timedOut
            ? `timed out after ${TIMEOUT_MS / 1000} s`
            : code !== 0
              ? `exit code ${code}`
              : 'no JSON result line on stdout');
        const lastError = stderrTail.trim().split('\n').slice(-5).join('\n');
        resolve({
          package: pkg.name,
          ok: false,
          seconds,
          error: lastError ? `${why}: ${lastError}` : why,
          results: report?.results ?? [],
        });
        return;
      }
      resolve({ package: pkg.name, ok: true, seconds, results: report.results });
    }
  });
}

function lastJsonLine(stdout) {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    if (!lines[i].startsWith('{')) continue;
    try {
      const parsed = JSON.parse(lines[i]);
      if (parsed && Array.isArray(parsed.results)) return parsed;
    } catch {
      // not the result line
    }
  }
  return undefined;
}

function formatNumber(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '');
  return Math.abs(value) >= 100 ? value.toFixed(0) : String(Number(value.toPrecision(3)));
}

function printTable(reports) {
  const rows = [['package', 'figure', 'value', 'baseline', 'ratio', 'target', 'pass']];
  for (const report of reports) {
    for (const r of report.results) {
      rows.push([
        report.package,
        r.name,
        `${formatNumber(r.value)} ${r.unit ?? ''}`.trim(),
        r.baseline ? `${formatNumber(r.baseline.value)} (${r.baseline.name})` : '-',
        r.ratio === null || r.ratio === undefined ? '-' : formatNumber(r.ratio),
        r.target ?? '-',
        r.pass === null || r.pass === undefined ? '-' : r.pass ? 'yes' : 'NO',
      ]);
    }
    if (!report.ok)
      rows.push([report.package, 'ERROR', report.error.split('\n')[0].slice(0, 100), '', '', '', 'NO']);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

async function main() {
  const { only } = parseArgs(process.argv.slice(2));
  const all = workspacePackages();
  for (const wanted of only) {
    if (!all.some((pkg) => matches(pkg, wanted))) throw new Error(`no workspace package ${wanted}`);
  }
  const selected = all.filter((pkg) => only.length === 0 || only.some((wanted) => matches(pkg, wanted)));
  const withBench = selected.filter((pkg) => pkg.bench);
  for (const pkg of selected.filter((p) => !p.bench && only.length > 0))
    console.error(`${pkg.name}: no bench script, skipped`);
  const startedAt = new Date().toISOString();
  const reports = [];
  for (const pkg of withBench) {
    console.error(`\n=== ${pkg.name} (${pkg.dir}): pnpm run bench --json`);
    const report = await runBench(pkg);
    if (!report.ok) console.error(`=== ${pkg.name} FAILED: ${report.error}`);
    reports.push(report);
  }
  console.log(`\nBenchmarks: ${os.cpus().length} cores, node ${process.version}, ${startedAt}`);
  printTable(reports);
  const out = path.join(root, 'bench-results.json');
  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: process.platform,
  };
  fs.writeFileSync(out, `${JSON.stringify({ startedAt, machine, benches: reports }, null, 2)}\n`);
  console.log(`\nwritten: ${path.relative(process.cwd(), out) || out}`);
  process.exit(reports.every((r) => r.ok) ? 0 : 1);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
});
