import { randomBytes, randomInt } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export type AccessKey = { accessKeyId: string; secretAccessKey: string };

const accessKeySchema = z.object({
  accessKeyId: z.string().regex(/^AKIA[A-Z2-7]{16}$/),
  secretAccessKey: z.string().length(40),
});

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * The control plane's one access key, shaped like an IAM user's (`AKIA` + 16 base-32 characters,
 * a 40-character secret): generated at the first start, kept (0600) in the state directory.
 */
export async function loadOrCreateAccessKey(file: string): Promise<AccessKey> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text !== undefined) {
    const parsed = accessKeySchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${file} is not a control-plane access key; delete it to make a new one`);
    return parsed.data;
  }
  const key: AccessKey = {
    accessKeyId: 'AKIA' + Array.from({ length: 16 }, () => BASE32[randomInt(BASE32.length)]).join(''),
    secretAccessKey: randomBytes(30).toString('base64'),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
  return key;
}
