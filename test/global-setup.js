// Runs before any test file: a migrated template database that every test file clones.
// tsx's loader lets this plain-Node hook load the TypeScript sources (Jest's transform does not
// apply Node's `.js` → `.ts` resolution to global-setup modules).
const { register } = require('tsx/cjs/api');

module.exports = async function globalSetup() {
  const unregister = register();
  try {
    const { prepareTemplateDatabase } = require('../packages/db/src/testing.ts');
    await prepareTemplateDatabase();
  } finally {
    unregister();
  }
};
