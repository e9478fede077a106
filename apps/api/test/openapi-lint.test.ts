import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, type TestApi } from './helpers';

/**
 * The MES contract: `redocly lint` with the recommended rules (redocly.yaml) over the document the
 * app serves at /openapi.json must report nothing at all, errors or warnings.
 */

const redocly = path.join(__dirname, '../node_modules/.bin/redocly');
let api: TestApi;
let dir: string;

beforeAll(async () => {
  api = await startTestApi();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'claimline-openapi-'));
});
afterAll(async () => {
  await api?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type LintProblem = { ruleId: string; severity: string; message: string; location: { pointer?: string }[] };

it('passes redocly lint (recommended) with zero errors and zero warnings', () => {
  const file = path.join(dir, 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(api.app.openApiDocument));
  const run = spawnSync(
    redocly,
    ['lint', file, '--config', path.join(__dirname, '../redocly.yaml'), '--format=json'],
    {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  const report = JSON.parse(run.stdout) as {
    totals: { errors: number; warnings: number };
    problems: LintProblem[];
  };
  const found = report.problems.map(
    (p) => `${p.severity} ${p.ruleId} ${p.location[0]?.pointer ?? ''}: ${p.message}`,
  );
  expect(found).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  expect(run.status).toBe(0);
});

it('gives every operation a unique operationId and public routes an empty security list', () => {
  const operations = Object.entries(api.app.openApiDocument.paths ?? {}).flatMap(([p, item]) =>
    Object.entries(item as Record<string, { operationId?: string; security?: unknown[] }>).map(
      ([method, op]) => ({ at: `${method} ${p}`, ...op }),
    ),
  );
  const ids = operations.map((op) => op.operationId);
  expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(operations.length);
  const health = operations.find((op) => op.at === 'get /healthz');
  expect(health?.security).toEqual([]);
});
