import fs from 'node:fs';
import path from 'node:path';
import { ENV_TABLE_END, ENV_TABLE_START, envSchemas, renderEnvTable } from '@claimline/config';

describe("the README's environment table", () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
  const table = readme
    .slice(readme.indexOf(ENV_TABLE_START) + ENV_TABLE_START.length, readme.indexOf(ENV_TABLE_END))
    .trim();

  it('is exactly what the config schemas generate (run `pnpm docs:env` after changing a schema)', () => {
    expect(table).toBe(renderEnvTable());
  });

  it('documents every variable of every process, each with a description', () => {
    const documented = new Set([...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    for (const [processName, schema] of Object.entries(envSchemas)) {
      for (const [variable, field] of Object.entries(schema.shape)) {
        expect({ processName, variable, documented: documented.has(variable) }).toEqual({
          processName,
          variable,
          documented: true,
        });
        expect((field as { description?: string }).description ?? '').not.toBe('');
      }
    }
  });
});
