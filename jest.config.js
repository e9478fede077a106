// One Jest run for the whole workspace: every app and package with a test/ folder is a project.
// Workspace packages resolve to their TypeScript sources, so tests never need a build first.
const fs = require('node:fs');
const path = require('node:path');

const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  },
];

const workspaceDirs = ['apps', 'packages'].flatMap((group) =>
  fs
    .readdirSync(path.join(__dirname, group))
    .map((name) => path.join(group, name))
    .filter((dir) => fs.existsSync(path.join(__dirname, dir, 'test'))),
);

const apps = fs.readdirSync(path.join(__dirname, 'apps')).join('|');
const moduleNameMapper = {
  [`^@claimline/(${apps})$`]: path.join(__dirname, 'apps/$1/src/index.ts'),
  '^@claimline/([a-z-]+)/testing$': path.join(__dirname, 'packages/$1/src/testing.ts'),
  '^@claimline/([a-z-]+)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

module.exports = {
  testTimeout: 60_000,
  projects: workspaceDirs.map((dir) => {
    const pkg = require(path.join(__dirname, dir, 'package.json'));
    return {
      displayName: pkg.name,
      rootDir: path.join(__dirname, dir),
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': swc },
      moduleNameMapper,
      testEnvironment: 'node',
      globalSetup: path.join(__dirname, 'test/global-setup.js'),
      // The schema engine's wasm glue is an ES module: let swc compile it to CommonJS.
      transformIgnorePatterns: [
        '/node_modules/(?!.*@prisma/schema-engine-wasm/)',
        '/test/global-setup\\.js$',
      ],
    };
  }),
};

// The end-to-end suite (test/e2e/README.md): the whole system as separate processes, same transform,
// module mapping and global set-up as every other project.
module.exports.projects.push({
  ...module.exports.projects[0],
  displayName: 'e2e',
  rootDir: path.join(__dirname, 'test/e2e'),
  testMatch: ['<rootDir>/**/*.e2e.test.ts'],
});
