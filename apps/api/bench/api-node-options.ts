import fs from 'node:fs';
import path from 'node:path';

/**
 * The NODE_OPTIONS the API image sets (docker/Dockerfile, stage `api`: V8 heap bounds), so that the
 * benches measure the API as it runs in production.
 */
export function apiNodeOptions(): string {
  const dockerfile = fs.readFileSync(path.resolve(__dirname, '../../../docker/Dockerfile'), 'utf8');
  const api = dockerfile.slice(dockerfile.indexOf(' AS api\n'));
  const match = /NODE_OPTIONS="([^"]+)"/.exec(api);
  if (!match) throw new Error('docker/Dockerfile: the api stage sets no NODE_OPTIONS');
  return match[1]!;
}
