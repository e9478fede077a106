// Runs `prisma generate` without downloading Prisma's schema-engine binary: generate never runs that
// engine, it only insists that the file exists. An explicit PRISMA_SCHEMA_ENGINE_BINARY wins.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= path.join(root, 'prisma/no-schema-engine.sh');
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
const prismaCli = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../node_modules/prisma/build/index.js',
);
const result = spawnSync(
  process.execPath,
  [prismaCli, 'generate', '--config', path.join(root, 'prisma.config.ts')],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
