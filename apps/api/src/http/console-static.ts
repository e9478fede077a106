import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { AppError } from '../errors/app-error.js';

/**
 * The web console (apps/console, built by `turbo run build` into its dist/) under /console. It is a
 * workspace dependency of the API, so `pnpm deploy` ships it in the API image. Unbuilt (a source
 * checkout before the build), /console answers 404 NOT_FOUND saying so.
 */
export function consoleDirectory(): string | undefined {
  try {
    const dir = path.join(path.dirname(require.resolve('@claimline/console/package.json')), 'dist');
    return fs.existsSync(path.join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export function consoleStatic(dir = consoleDirectory()): Router {
  const router = express.Router();
  if (!dir) {
    router.use(() => {
      throw new AppError('NOT_FOUND', 'the console is not built (pnpm exec turbo run build)');
    });
    return router;
  }
  router.use(express.static(dir, { index: 'index.html', fallthrough: true, maxAge: '1h' }));
  return router;
}
