// pnpm docs:env — rewrites the README's environment variable table from the config schemas.
import fs from 'node:fs';
import path from 'node:path';
import { replaceEnvTable } from '@claimline/config';

const readmePath = path.resolve(__dirname, '../README.md');
fs.writeFileSync(readmePath, replaceEnvTable(fs.readFileSync(readmePath, 'utf8')));
console.log('README.md environment table updated');
