// Runs before any test file: a migrated template database that every test file clones.
// In a Node process of its own, with tsx's loader and the `claimline-source` export condition, so that
// it loads the workspace packages from their TypeScript sources as the tests do (Jest's transform and
// module mapper do not apply to global-setup modules): `pnpm test` needs no build first.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const script = `require('./packages/db/src/testing.ts').prepareTemplateDatabase().then(
    () => process.exit(0),
    (error) => { console.error(error); process.exit(1); },
  )`;
  execFileSync(
    process.execPath,
    ['--require', require.resolve('tsx/cjs'), '--conditions=claimline-source', '-e', script],
    { cwd: path.join(__dirname, '..'), stdio: 'inherit', env: process.env },
  );
};
