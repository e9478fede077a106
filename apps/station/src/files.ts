import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Writes a file atomically (temp + fsync + rename + directory fsync) with the given mode. */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Best-effort wipe: overwrite with random bytes, fsync, unlink. On SSDs and copy-on-write file systems
 * the old blocks may survive; the private key files live only for the seconds of one burn.
 */
export function wipeFile(file: string): void {
  let fd: number | undefined;
  try {
    const size = fs.statSync(file).size;
    fd = fs.openSync(file, 'r+');
    if (size > 0) fs.writeSync(fd, randomBytes(size), 0, size, 0);
    fs.fsyncSync(fd);
  } catch {
    // already gone, or not writable: still try to unlink
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  fs.rmSync(file, { force: true });
}

export function wipeDir(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) wipeDir(full);
    else wipeFile(full);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
