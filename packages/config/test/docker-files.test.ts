// Static checks of docker/ (Dockerfile, compose.yaml, k8s/) against the code, for machines without a
// Docker engine or a Kubernetes cluster: nothing here builds an image or starts a container.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { describeSchema, envSchemas, loadConfig } from '@claimline/config';

const root = path.resolve(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

// ---------------------------------------------------------------------------------------------
// Dockerfile: instructions with continuation lines joined, grouped by stage.
type Instruction = { op: string; args: string };
type Stage = { name: string; from: string; instructions: Instruction[] };

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name = ''] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ name, from, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = parseDockerfile(read('docker/Dockerfile'));
const stage = (name: string) => {
  const found = dockerfile.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name} in docker/Dockerfile`);
  return found;
};
/** A stage and its ancestors in the Dockerfile, nearest first. */
const lineage = (name: string): Stage[] => {
  const own = stage(name);
  return dockerfile.some((s) => s.name === own.from) ? [own, ...lineage(own.from)] : [own];
};
const effective = (name: string, op: string) =>
  lineage(name)
    .flatMap((s) => [...s.instructions].reverse())
    .find((i) => i.op === op);
const envOf = (name: string) =>
  lineage(name)
    .flatMap((s) => s.instructions)
    .filter((i) => i.op === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!));

const APP_TARGETS = ['api', 'migrate', 'worker', 'emulator', 'station'] as const;
/** The config schema (envSchemas) that each target's process reads. */
const SCHEMA_OF: Record<string, string> = {
  api: 'api',
  migrate: 'migrate',
  worker: 'worker',
  emulator: 'emulator',
  station: 'station',
};
/**
 * Variables read outside the zod schemas: NODE_ENV (Node libraries), NODE_OPTIONS (Node itself: the
 * API's heap bounds), CLAIMLINE_PRISMA_DIR (packages/db/src/migrations/migration-files.ts).
 */
const EXTRA_VARIABLES = ['NODE_ENV', 'NODE_OPTIONS', 'CLAIMLINE_PRISMA_DIR'];
const known = (schema: string) => new Set([...Object.keys(envSchemas[schema]!.shape), ...EXTRA_VARIABLES]);

/** The HTTP paths each process serves, read from its source. */
const ROUTES: Record<string, { file: string; pattern: (p: string) => RegExp }> = {
  api: { file: 'apps/api/src/routes/ops.ts', pattern: (p) => new RegExp(`path: '${p}'`) },
  worker: { file: 'apps/worker/src/http/ops-server.ts', pattern: (p) => new RegExp(`app\\.get\\('${p}'`) },
  emulator: {
    file: 'apps/emulator/src/admin/admin-http.ts',
    pattern: (p) => new RegExp(`app\\.get\\('${p}'`),
  },
};
/** The variable holding each process's HTTP port, and its schema default. */
const PORT_VARIABLE: Record<string, string> = {
  api: 'API_PORT',
  worker: 'WORKER_HTTP_PORT',
  emulator: 'EMULATOR_ADMIN_PORT',
};
/** Compose checks readiness: the API serves /readyz on its ops listener only. */
const HEALTH_PORT_VARIABLE: Record<string, string> = { ...PORT_VARIABLE, api: 'API_OPS_PORT' };

function healthTarget(command: string): { port: number; path: string } {
  const match = /http:\/\/127\.0\.0\.1:(?:'\+\(process\.env\.([A-Z_]+)\|\|(\d+)\)\+'|(\d+))(\/[a-z]+)/.exec(
    command,
  );
  if (!match) throw new Error(`health check does not fetch http://127.0.0.1:<port>/<path>: ${command}`);
  return { port: Number(match[2] ?? match[3]), path: match[4]! };
}

function expectRoute(app: string, routePath: string) {
  const route = ROUTES[app]!;
  expect({ app, routePath, served: route.pattern(routePath).test(read(route.file)) }).toEqual({
    app,
    routePath,
    served: true,
  });
}

// .dockerignore patterns (the subset of syntax this repository uses: **/, *, exact paths).
function ignored(file: string, patterns: string[]): boolean {
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = negate ? raw.slice(1) : raw;
    const regex = new RegExp(
      '^' +
        pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(?:.*/)?')
          .replace(/(?<!\.)\*/g, '[^/]*') +
        '(?:/.*)?$',
    );
    if (regex.test(file)) result = !negate;
  }
  return result;
}
const ignorePatterns = read('docker/Dockerfile.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('docker/Dockerfile', () => {
  it('has the build, deploy and process targets', () => {
    const names = dockerfile.map((s) => s.name);
    for (const name of ['build', 'runtime', ...APP_TARGETS]) expect(names).toContain(name);
    expect(stage('build').from).toBe('${NODE_IMAGE}');
    expect(stage('runtime').from).toBe('${NODE_IMAGE}');
    expect(read('docker/Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
  });

  it('installs the pnpm pinned in package.json, from the frozen lockfile, and builds every app', () => {
    const run = stage('build')
      .instructions.filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
    expect(run).toContain(`require('./package.json').packageManager`);
    expect(JSON.parse(read('package.json')).packageManager).toMatch(/^pnpm@10\./);
    expect(run).toMatch(/pnpm install --frozen-lockfile/);
    expect(run).toContain('pnpm db:generate');
    expect(run).toMatch(/turbo run build --filter='\.\/apps\/\*\.\.\.'/);
  });

  it.each(APP_TARGETS)(
    '%s: production dependencies only, via `pnpm deploy --legacy --prod` of a real package',
    (target) => {
      const app = target === 'migrate' ? 'api' : target;
      const deploy = stage(`deploy-${app}`).instructions.find((i) => i.op === 'RUN')!.args;
      expect(deploy).toMatch(new RegExp(`pnpm --filter @claimline/${app} deploy --legacy --prod`));
      // Optional peers (the Prisma CLI, TypeScript) out of the image: docker/prune-deploy.mjs.
      expect(deploy).toMatch(/&& node docker\/prune-deploy\.mjs \/out$/);
      expect(ignored('docker/prune-deploy.mjs', ignorePatterns)).toBe(false);
      expect(JSON.parse(read(`apps/${app}/package.json`)).name).toBe(`@claimline/${app}`);
      expect(
        lineage(target)
          .flatMap((s) => s.instructions)
          .some((i) => i.op === 'COPY' && i.args.includes(`--from=deploy-${app} /out /app`)),
      ).toBe(true);
    },
  );

  it.each(APP_TARGETS)('%s: non-root 10001, NODE_ENV=production, tini as PID 1, SIGTERM', (target) => {
    expect(lineage(target).map((s) => s.name)).toContain('runtime');
    expect(effective(target, 'USER')?.args).toBe('10001:10001');
    expect(envOf(target)).toContain('NODE_ENV');
    expect(stage('runtime').instructions.find((i) => i.op === 'ENV')?.args).toContain('NODE_ENV=production');
    expect(effective(target, 'ENTRYPOINT')?.args).toMatch(/^\["\/usr\/bin\/tini", "--"/);
    expect(effective(target, 'STOPSIGNAL')?.args).toBe('SIGTERM');
  });

  it.each(['api', 'worker', 'emulator'])(
    '%s: CMD runs the built main and HEALTHCHECK fetches a route it serves',
    (target) => {
      expect(effective(target, 'CMD')?.args).toBe('["node", "dist/main.js"]');
      expect(fs.existsSync(path.join(root, `apps/${target}/src/main.ts`))).toBe(true);
      const healthcheck = effective(target, 'HEALTHCHECK')!.args;
      const { port, path: routePath } = healthTarget(healthcheck);
      expectRoute(target, routePath);
      expect(healthcheck).toContain(`process.env.${PORT_VARIABLE[target]}`);
      expect(
        describeSchema(envSchemas[target]!).find((v) => v.variable === PORT_VARIABLE[target])?.defaultValue,
      ).toBe(String(port));
    },
  );

  it('migrate: runs the migration CLI deploy with the prisma/ folder shipped in the image', () => {
    expect(effective('migrate', 'CMD')?.args).toBe(
      '["node", "node_modules/@claimline/db/dist/migrate-cli.js", "deploy"]',
    );
    expect(read('packages/db/src/migrate-cli.ts')).toContain("case 'deploy'");
    expect(effective('migrate', 'HEALTHCHECK')?.args).toBe('NONE');
    expect(
      stage('api').instructions.some(
        (i) => i.op === 'COPY' && i.args === '--from=build /repo/prisma /app/prisma',
      ),
    ).toBe(true);
    expect(envOf('migrate')).toContain('CLAIMLINE_PRISMA_DIR');
    expect(read('packages/db/src/migrations/migration-files.ts')).toContain(
      'process.env.CLAIMLINE_PRISMA_DIR',
    );
  });

  it("api: bounds V8's heap with NODE_OPTIONS, the same flags scripts/run-local.mjs and the API bench use", () => {
    const options = /NODE_OPTIONS="([^"]+)"/.exec(
      stage('api')
        .instructions.filter((i) => i.op === 'ENV')
        .map((i) => i.args)
        .join(' '),
    )?.[1];
    expect(options).toMatch(/--max-old-space-size=\d+/);
    expect(read('scripts/run-local.mjs')).toContain(`NODE_OPTIONS: '${options}'`);
    expect(read('apps/api/bench/api-node-options.ts')).toContain('NODE_OPTIONS="([^"]+)"');
  });

  it('every ENV of a process target is a variable its process reads', () => {
    for (const target of APP_TARGETS) {
      // migrate is the API image with another command: it inherits the API's ENV, which it ignores.
      const names = new Set([...known(SCHEMA_OF[target]!), ...(target === 'migrate' ? known('api') : [])]);
      for (const variable of envOf(target))
        expect({ target, variable, known: names.has(variable) }).toEqual({ target, variable, known: true });
    }
  });

  it('every COPY source from the build context exists and is not excluded by the ignore file', () => {
    const copies = dockerfile
      .flatMap((s) => s.instructions)
      .filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.args
        .split(/\s+/)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        if (source === '.') continue;
        expect({ source, exists: fs.existsSync(path.join(root, source)) }).toEqual({ source, exists: true });
        expect({ source, ignored: ignored(source, ignorePatterns) }).toEqual({ source, ignored: false });
      }
    }
  });

  it('the ignore file keeps out installs, builds, state and secrets, but not the sources', () => {
    for (const file of [
      'node_modules/x',
      'apps/api/node_modules/x',
      'apps/api/dist/main.js',
      '.git/HEAD',
      '.claimline/emulator/ca.key.pem',
      'docker/.env',
      '.env',
      'packages/db/src/generated/client.ts',
      // Docs, CI and the container tooling: an edit must not bust the `COPY . .` layer.
      'README.md',
      'docs/benchmarks.md',
      'apps/api/README.md',
      '.ci/run',
      'docker/compose.yaml',
      'docker/container-test.mjs',
    ]) {
      expect({ file, ignored: ignored(file, ignorePatterns) }).toEqual({ file, ignored: true });
    }
    for (const file of [
      'pnpm-lock.yaml',
      'apps/api/src/main.ts',
      'prisma/schema.prisma',
      'docker/prune-deploy.mjs',
      'apps/emulator/templates',
    ]) {
      expect({ file, ignored: ignored(file, ignorePatterns) }).toEqual({ file, ignored: false });
    }
  });
});

// Hadolint's rules (https://github.com/hadolint/hadolint#rules) that apply to this Dockerfile, checked
// here because hadolint itself is not installed on these machines. Not applied: DL3008 (pin apt
// package versions: Debian's security updates would be refused) and the ShellCheck rules.
describe('docker/Dockerfile: hadolint-style rules', () => {
  const all = dockerfile.flatMap((s) => s.instructions.map((i) => ({ ...i, stage: s.name })));
  const runs = all.filter((i) => i.op === 'RUN').map((i) => i.args);

  it('DL3006/DL3007: every base image is a named stage or a tagged image, never latest', () => {
    const args = read('docker/Dockerfile').match(/^ARG NODE_IMAGE=(\S+)$/m)![1]!;
    for (const { from } of dockerfile) {
      const image = from === '${NODE_IMAGE}' ? args : from;
      if (dockerfile.some((s) => s.name === image)) continue;
      expect({ image, tagged: /:[\w.-]+$/.test(image) && !image.endsWith(':latest') }).toEqual({
        image,
        tagged: true,
      });
    }
  });

  it('DL3024/DL3022: stage names are unique, and COPY --from names an earlier stage', () => {
    const names = dockerfile.map((s) => s.name).filter(Boolean);
    expect(new Set(names).size).toBe(names.length);
    dockerfile.forEach((s, index) => {
      for (const i of s.instructions.filter((x) => x.op === 'COPY' && x.args.includes('--from='))) {
        const from = /--from=(\S+)/.exec(i.args)![1]!;
        expect({ from, earlier: dockerfile.slice(0, index).some((e) => e.name === from) }).toEqual({
          from,
          earlier: true,
        });
      }
    });
  });

  it('DL3009/DL3014/DL3015/DL3027: apt-get install with --yes and --no-install-recommends, lists removed', () => {
    for (const run of runs) {
      expect(run).not.toMatch(/(^|[;&|]\s*)apt\s/);
      if (!/apt-get install/.test(run)) continue;
      expect(run).toMatch(/apt-get install (--yes|-y)/);
      expect(run).toContain('--no-install-recommends');
      expect(run).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('DL3016: npm installs a pinned version', () => {
    for (const run of runs.filter((r) => /\bnpm install/.test(r) && !/pnpm install/.test(r)))
      expect(run).toMatch(/npm install [^&]*"?pnpm@\$\(/);
  });

  it('DL3020/DL3000/DL3025/DL4006: COPY not ADD, absolute WORKDIR, JSON CMD and ENTRYPOINT, no pipes without pipefail', () => {
    expect(all.filter((i) => i.op === 'ADD')).toEqual([]);
    for (const i of all.filter((x) => x.op === 'WORKDIR')) expect(i.args).toMatch(/^\//);
    for (const i of all.filter((x) => x.op === 'CMD' || x.op === 'ENTRYPOINT'))
      expect(i.args).toMatch(/^\[.*\]$/);
    const pipefail = all.some((i) => i.op === 'SHELL' && i.args.includes('pipefail'));
    for (const run of runs)
      expect({ run, pipe: !pipefail && /[^|]\|[^|]/.test(run) }).toEqual({ run, pipe: false });
  });

  it('DL3002: the last USER of every process target is not root', () => {
    for (const target of APP_TARGETS) expect(effective(target, 'USER')?.args).not.toMatch(/^(root|0)(:|$)/);
  });
});

// ---------------------------------------------------------------------------------------------
type Service = {
  build?: { context: string; dockerfile: string; target: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  container_name?: string;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  deploy?: { replicas?: unknown };
  profiles?: string[];
};
const composeText = read('docker/compose.yaml');
const composeDocument = parseDocument(composeText, { merge: true });
const compose = composeDocument.toJS() as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

/** Compose substitution, with the values a filled-in docker/.env would give. */
const SAMPLE_ENV: Record<string, string> = {
  POSTGRES_PASSWORD: 'sample-password',
  POSTGRES_APP_PASSWORD: 'sample-app-password',
  VAULT_LOCAL_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
};
const substitute = (value: string) =>
  value.replace(
    /\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}/g,
    (_m, name: string, kind?: string, rest?: string) => {
      if (kind === '-') return rest ?? '';
      const sample = SAMPLE_ENV[name];
      if (sample === undefined) throw new Error(`${name} has no default and no sample value`);
      return sample;
    },
  );

const seconds = (duration: string) => {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (!match) throw new Error(`unreadable duration ${duration}`);
  return Number(match[1]) * { ms: 0.001, s: 1, m: 60 }[match[2] as 'ms' | 's' | 'm'];
};

describe('docker/compose.yaml', () => {
  it('parses, and has the services of the stack', () => {
    expect(composeDocument.errors).toEqual([]);
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'emulator',
      'migrate',
      'postgres',
      'redis',
      'station',
      'worker',
    ]);
  });

  it('builds every app service from a target that exists in docker/Dockerfile, with the repository as context', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!service.build) continue;
      expect(path.resolve(root, 'docker', service.build.context)).toBe(root);
      expect(service.build.dockerfile).toBe('docker/Dockerfile');
      expect(dockerfile.map((s) => s.name)).toContain(service.build.target);
      expect(name).toBe(service.build.target);
    }
  });

  it('gives each service only variables its process reads, with values its config schema accepts', () => {
    for (const [name, service] of Object.entries(services)) {
      const schemaName = SCHEMA_OF[name];
      if (!schemaName) continue; // postgres, redis: their images' own variables
      const environment = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([k, v]) => [k, substitute(String(v))]),
      );
      const names = known(schemaName);
      for (const variable of Object.keys(environment))
        expect({ name, variable, known: names.has(variable) }).toEqual({ name, variable, known: true });
      expect(() => loadConfig(name, envSchemas[schemaName]!, environment)).not.toThrow();
    }
  });

  it('takes every substituted value from docker/.env.example (secrets are never in compose.yaml)', () => {
    const example = read('docker/.env.example');
    const substituted = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const variable of substituted)
      expect({ variable, documented: new RegExp(`^#? ?${variable}=`, 'm').test(example) }).toEqual({
        variable,
        documented: true,
      });
    for (const secret of ['POSTGRES_PASSWORD', 'POSTGRES_APP_PASSWORD', 'VAULT_LOCAL_KEYS']) {
      expect(composeText).toMatch(new RegExp(`\\$\\{${secret}:\\?`));
      expect(example).toMatch(new RegExp(`^${secret}=$`, 'm'));
    }
    expect(fs.existsSync(path.join(root, 'docker/.env'))).toBe(false);
  });

  it('health checks fetch routes the processes serve, on the ports they listen on, reachable in the container', () => {
    for (const name of ['api', 'worker', 'emulator']) {
      const service = services[name]!;
      const [kind, ...command] = service.healthcheck!.test;
      expect(kind).toBe('CMD');
      const { port, path: routePath } = healthTarget(command.join(' '));
      expectRoute(name, routePath);
      expect(String(service.environment![HEALTH_PORT_VARIABLE[name]!])).toBe(String(port));
    }
    expect(services.api!.environment!.API_HOST).toBe('0.0.0.0');
    expect(services.worker!.environment!.WORKER_HTTP_HOST).toBe('0.0.0.0');
    expect(services.emulator!.environment!.EMULATOR_HOST).toBe('0.0.0.0');
    expect(services.postgres!.healthcheck!.test).toEqual([
      'CMD',
      'pg_isready',
      '-U',
      'claimline',
      '-d',
      'claimline',
    ]);
    expect(services.redis!.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('migrates as the owner and runs the API and workers as the application role (issue 15)', () => {
    const env = (name: string, variable: string) =>
      substitute(String(services[name]!.environment![variable]));
    const user = (databaseUrl: string) => new URL(databaseUrl).username;
    const owner = String(services.postgres!.environment!.POSTGRES_USER);
    expect(user(env('migrate', 'MIGRATION_DATABASE_URL'))).toBe(owner);
    // The migrate service creates the role the API and the workers log in as: the same URL.
    const appUrl = env('migrate', 'DATABASE_URL');
    expect(user(appUrl)).not.toBe(owner);
    for (const name of ['api', 'worker']) {
      expect(env(name, 'DATABASE_URL')).toBe(appUrl);
      expect(services[name]!.environment!.MIGRATION_DATABASE_URL).toBeUndefined();
    }
    expect(new URL(appUrl).password).toBe(SAMPLE_ENV.POSTGRES_APP_PASSWORD);
    // The owner's password reaches the migrate service only.
    for (const [name, service] of Object.entries(services)) {
      if (name === 'postgres' || name === 'migrate') continue;
      expect({
        name,
        owner: JSON.stringify(service.environment ?? {}).includes('POSTGRES_PASSWORD}'),
      }).toEqual({
        name,
        owner: false,
      });
    }
  });

  it('starts in order: migrate after postgres, the API and workers after a successful migration', () => {
    expect(services.migrate!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    for (const name of ['api', 'worker']) {
      expect(services[name]!.depends_on).toEqual({
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        emulator: { condition: 'service_healthy' },
      });
    }
    for (const service of Object.values(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        if (condition === 'service_healthy') expect(services[dependency]!.healthcheck).toBeDefined();
      }
    }
  });

  it('lets the worker scale: no container name, no published port, a grace period longer than its shutdown time-out', () => {
    const worker = services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(Object.values(services).some((s) => s.container_name)).toBe(false);
    expect(seconds(worker.stop_grace_period!) * 1000).toBeGreaterThan(
      Number(worker.environment!.WORKER_SHUTDOWN_TIMEOUT_MS),
    );
    expect(worker.deploy?.replicas).toBeDefined();
  });

  it('runs Redis with noeviction and append-only persistence on a volume, Postgres 16 on a volume', () => {
    const command = services.redis!.command!.join(' ');
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(command).toMatch(/--appendonly yes/);
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.redis!.volumes).toContain('redis-data:/data');
    expect(services.postgres!.image).toMatch(/^postgres:16/);
    expect(services.postgres!.volumes).toContain('postgres-data:/var/lib/postgresql/data');
  });

  it("shares the emulator's client files read-only, at the paths the API and workers are given", () => {
    const stateDir = String(services.emulator!.environment!.STATE_DIR);
    expect(services.emulator!.volumes).toEqual([`emulator-state:${stateDir}`]);
    // The emulator writes <STATE_DIR>/emulator/client/<file> (apps/emulator/src/main.ts, client-files.ts).
    expect(read('apps/emulator/src/main.ts')).toContain("resolve(env.STATE_DIR, 'emulator')");
    const clientFiles = read('apps/emulator/src/client-files.ts');
    const clientDir = `${stateDir}/emulator/client`;
    const files = {
      AWS_IOT_CA_PATH: 'AmazonRootCA1.pem',
      AWS_IOT_CLAIM_CERT_PATH: 'claim.cert.pem',
      AWS_IOT_CLAIM_KEY_PATH: 'claim.private.key',
      WORKER_TEMPLATES_DIR: 'templates',
    };
    for (const [variable, file] of Object.entries(files)) {
      expect(clientFiles).toContain(`'${file}'`);
      expect(services.worker!.environment![variable]).toBe(`${clientDir}/${file}`);
    }
    expect(services.api!.environment!.API_DEVICE_CA_PATH).toBe(`${clientDir}/AmazonRootCA1.pem`);
    for (const name of ['api', 'worker'])
      expect(services[name]!.volumes).toEqual([`emulator-state:${stateDir}:ro`]);
    for (const volume of Object.values(services).flatMap((s) => s.volumes ?? [])) {
      expect(Object.keys(compose.volumes)).toContain(volume.split(':')[0]);
    }
  });

  it('reaches the emulator by its service name, which its server certificate names (no relay)', () => {
    const emulator = services.emulator!;
    const worker = services.worker!;
    const serverNames = loadConfig('emulator', envSchemas.emulator!, {
      EMULATOR_SERVER_NAMES: String(emulator.environment!.EMULATOR_SERVER_NAMES),
    }).EMULATOR_SERVER_NAMES as string[];
    expect(serverNames).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', 'emulator']));
    expect(worker.environment!.AWS_IOT_ENDPOINT).toBe('emulator');
    expect(String(emulator.environment!.EMULATOR_PORT)).toBe(String(worker.environment!.AWS_IOT_PORT));
    // The server names become the certificate's subject alternative names (apps/emulator/src/pki).
    expect(read('apps/emulator/src/emulator.ts')).toContain('pki.serverCredentials(options.serverNames');
    expect(read('apps/emulator/src/main.ts')).toContain('env.EMULATOR_SERVER_NAMES');
    expect(worker.command).toBeUndefined();
    expect(fs.existsSync(path.join(root, 'docker/emulator-relay.cjs'))).toBe(false);
    expect(composeText).not.toMatch(/relay/i);
    expect(read('docker/Dockerfile')).not.toMatch(/relay/i);
    // Published to the host's loopback only (the admin API has no authentication).
    for (const port of emulator.ports!) expect(port).toMatch(/^127\.0\.0\.1:/);
  });
});

describe('docker/compose.standin.yaml (local stand-ins, docker/local-images.sh)', () => {
  it('changes only the images of PostgreSQL and Redis, to local stand-ins, never to an official name', () => {
    const standin = parseDocument(read('docker/compose.standin.yaml')).toJS() as {
      services: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(standin)).toEqual(['services']);
    expect(Object.keys(standin.services).sort()).toEqual(['postgres', 'redis']);
    for (const service of Object.values(standin.services)) {
      expect(Object.keys(service)).toEqual(['image']);
      expect(service.image).toMatch(/^localhost\/claimline-standin\//);
    }
    expect(read('docker/local-images.sh')).toMatch(/PRODUCTION PULLS THE OFFICIAL IMAGES/);
  });

  it('every image compose names is tagged, never latest', () => {
    for (const [name, service] of Object.entries(services))
      expect({
        name,
        image: service.image,
        tagged: /:[^/]+$/.test(service.image ?? '') && !/:latest$/.test(service.image!),
      }).toEqual({
        name,
        image: service.image,
        tagged: true,
      });
  });
});

// ---------------------------------------------------------------------------------------------
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
};
type Container = {
  name: string;
  image: string;
  env?: { name: string }[];
  ports?: { containerPort: number; name?: string }[];
  readinessProbe?: { httpGet?: { path: string; port: unknown } };
  livenessProbe?: { httpGet?: { path: string; port: unknown } };
};

const k8sDir = path.join(root, 'docker/k8s');
const k8sObjects: K8sObject[] = fs
  .readdirSync(k8sDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(k8sDir, file), 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as K8sObject;
    }),
  );

describe('docker/k8s', () => {
  const deployments = k8sObjects.filter((o) => o.kind === 'Deployment');

  it('parses: API and worker Deployments, the API Service, a KEDA ScaledObject for the workers', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['claimline-api', 'claimline-worker']);
    expect(k8sObjects.some((o) => o.kind === 'Service' && o.metadata.name === 'claimline-api')).toBe(true);
    const scaled = k8sObjects.find((o) => o.kind === 'ScaledObject')!;
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1');
    const spec = scaled.spec as {
      scaleTargetRef: { name: string };
      triggers: { type: string; metadata: { query: string } }[];
    };
    expect(spec.scaleTargetRef.name).toBe('claimline-worker');
    expect(spec.triggers[0]!.type).toBe('prometheus');
    expect(spec.triggers[0]!.metadata.query).toContain('claimline_queue_jobs');
  });

  it('the migration Job alone reads the owner URL, from its own Secret; the pods get the application role', () => {
    type EnvVar = { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
    const job = k8sObjects.find((o) => o.kind === 'Job' && o.metadata.name === 'claimline-migrate')!;
    const jobContainer = (
      job.spec as { template: { spec: { containers: { name: string; env: EnvVar[] }[] } } }
    ).template.spec.containers[0]!;
    const migrateNames = known('migrate');
    for (const { name } of jobContainer.env)
      expect({ name, known: migrateNames.has(name) }).toEqual({ name, known: true });
    const ref = (env: EnvVar[], name: string) => env.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    expect(ref(jobContainer.env, 'MIGRATION_DATABASE_URL')).toEqual({
      name: 'claimline-migrate',
      key: 'migration-database-url',
    });
    const appRef = ref(jobContainer.env, 'DATABASE_URL');
    expect(appRef).toEqual({ name: 'claimline', key: 'database-url' });
    for (const deployment of deployments) {
      const containers = (deployment.spec as { template: { spec: { containers: { env: EnvVar[] }[] } } })
        .template.spec.containers;
      for (const container of containers) {
        expect(ref(container.env, 'DATABASE_URL')).toEqual(appRef);
        expect(JSON.stringify(container.env)).not.toContain('claimline-migrate');
      }
    }
  });

  it('gives each container only variables its process reads, and probes routes it serves', () => {
    for (const deployment of deployments) {
      const app = deployment.metadata.name.replace('claimline-', '');
      const pod = (
        deployment.spec as {
          template: {
            spec: {
              containers: Container[];
              initContainers?: Container[];
              securityContext?: { runAsUser?: number };
            };
          };
        }
      ).template.spec;
      expect(pod.securityContext?.runAsUser).toBe(10001);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const schemaName = container.name === 'migrate' ? 'migrate' : app;
        const names = known(schemaName);
        for (const { name } of container.env ?? [])
          expect({ container: container.name, name, known: names.has(name) }).toEqual({
            container: container.name,
            name,
            known: true,
          });
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
          if (probe?.httpGet) expectRoute(app, probe.httpGet.path);
        }
      }
    }
  });
});
