// node docker/prune-deploy.mjs <deploy dir>: after `pnpm deploy --legacy --prod`, removes from the
// deploy's node_modules/.pnpm every package that its production dependency graph never reaches when
// optional peer dependencies are left out. The lockfile resolves @prisma/client's optional peers
// (the Prisma CLI, TypeScript) because the workspace has them for `prisma generate`, and the deploy
// copies them with everything they need (~200 MB: Prisma Studio, effect, PGlite, React); nothing
// imports them at run time. Prints what it removed.
import fs from 'node:fs';
import path from 'node:path';

const out = path.resolve(process.argv[2] ?? '');
const store = path.join(out, 'node_modules/.pnpm');
if (!fs.existsSync(store)) {
  console.error(`prune-deploy: no ${store}`);
  process.exit(1);
}
const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** Node's resolution of a package name from a package directory (its own folder first). */
function resolvePackage(from, name) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    }
    if (dir === path.dirname(dir) || !dir.startsWith(out)) return undefined;
  }
}

/** The production edges of a package: dependencies, optional dependencies, required peers. */
function edges(manifest) {
  const optionalPeers = new Set(
    Object.entries(manifest.peerDependenciesMeta ?? {})
      .filter(([, meta]) => meta?.optional)
      .map(([name]) => name),
  );
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((name) => !optionalPeers.has(name)),
  ];
}

const reached = new Set();
const queue = [out];
while (queue.length > 0) {
  const dir = queue.pop();
  if (reached.has(dir)) continue;
  reached.add(dir);
  for (const name of edges(readJson(path.join(dir, 'package.json')))) {
    const target = resolvePackage(dir, name);
    if (target && !reached.has(target)) queue.push(target);
  }
}

/** The .pnpm/<key> folder a package lives in, if it lives in the store. */
const storeEntry = (dir) =>
  dir.startsWith(store + path.sep) ? dir.slice(store.length + 1).split(path.sep)[0] : undefined;
const kept = new Set([...reached].map(storeEntry).filter(Boolean));
let removed = 0;
let bytes = 0;
const size = (p) => {
  const stat = fs.lstatSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, entry) => sum + size(path.join(p, entry)), 0);
};
for (const entry of fs.readdirSync(store)) {
  if (entry === 'node_modules' || entry.startsWith('.') || kept.has(entry)) continue;
  bytes += size(path.join(store, entry));
  fs.rmSync(path.join(store, entry), { recursive: true, force: true });
  removed++;
}
// Links (hoisted ones in .pnpm/node_modules, .bin) that now point nowhere.
function dropDangling(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      if (!fs.existsSync(p)) fs.rmSync(p, { force: true });
    } else if (entry.isDirectory() && (entry.name.startsWith('@') || entry.name === '.bin')) dropDangling(p);
  }
}
dropDangling(path.join(store, 'node_modules'));
dropDangling(path.join(out, 'node_modules'));
console.log(
  `prune-deploy: removed ${removed} packages (${(bytes / 1e6).toFixed(0)} MB) no production path reaches`,
);

// Files of kept packages that this image can never load: the Prisma query compilers of the other
// databases (the generated client in @claimline/db imports one: PostgreSQL's) and source maps of
// @prisma/client's runtime; aws-crt's native binaries for other platforms than the build's (the
// build stage and the runtime share NODE_IMAGE, so the same platform and libc).
const packagesNamed = (name) =>
  fs
    .readdirSync(store)
    .map((entry) => path.join(store, entry, 'node_modules', name))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')));
const drop = (file) => {
  const dropped = size(file);
  fs.rmSync(file, { recursive: true, force: true });
  return dropped;
};
let fileBytes = 0;
const dbDist = resolvePackage(out, '@claimline/db');
const generated = dbDist ? listFiles(path.join(dbDist, 'dist')).map((f) => fs.readFileSync(f, 'utf8')) : [];
const imported = (base) => generated.some((text) => text.includes(`@prisma/client/runtime/${base}`));
for (const client of packagesNamed('@prisma/client')) {
  for (const file of fs.readdirSync(path.join(client, 'runtime'))) {
    const compiler = /^(query_compiler_\w+?_bg\.\w+)\./.exec(file);
    if ((compiler && !imported(compiler[1])) || file.endsWith('.map'))
      fileBytes += drop(path.join(client, 'runtime', file));
  }
}
const libc = process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl';
const platform = `${process.platform}-${process.arch}-${process.platform === 'linux' ? libc : 'cruntime'}`;
for (const crt of packagesNamed('aws-crt')) {
  const bin = path.join(crt, 'dist', 'bin');
  if (!fs.existsSync(path.join(bin, platform))) continue; // unknown layout: keep everything
  for (const dir of fs.readdirSync(bin)) if (dir !== platform) fileBytes += drop(path.join(bin, dir));
}
console.log(
  `prune-deploy: removed ${(fileBytes / 1e6).toFixed(0)} MB of other databases' query compilers, source maps and other platforms' binaries`,
);

function listFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
