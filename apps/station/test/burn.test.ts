import { createHash, generateKeyPairSync } from 'node:crypto';
import { parseBurnCommand, runBurn, substitute } from '../src/index.js';

const values = {
  cert: '/w/c.pem',
  key: '/w/k.pem',
  ca: '/w/ca.pem',
  serial: 'SN1; rm -rf /',
  thingName: 'unit-$(id)',
  endpoint: 'h:8883',
};

it('substitutes placeholders inside words, never splitting or shell-evaluating them', () => {
  const words = parseBurnCommand(`flash --cert={cert} "--name {thingName}" '{serial}' {endpoint}`);
  expect(substitute(words, values)).toEqual([
    'flash',
    '--cert=/w/c.pem',
    '--name unit-$(id)',
    'SN1; rm -rf /',
    'h:8883',
  ]);
});

it('refuses unknown placeholders, an unclosed quote and an empty command', () => {
  expect(() => parseBurnCommand('flash {cret}')).toThrow(/unknown placeholder \{cret\}/);
  expect(() => parseBurnCommand('flash "{cert}')).toThrow(/unclosed quote/);
  expect(() => parseBurnCommand('   ')).toThrow(/empty/);
});

it('reports the exit code, the last lines and a digest of the output', async () => {
  const result = await runBurn(
    [process.execPath, '-e', 'console.log("a");console.error("b");process.exit(4)'],
    10_000,
  );
  expect(result.exitCode).toBe(4);
  expect(result.lastLines).toEqual(expect.arrayContaining(['a', 'b']));
  expect(result.logSha256).toMatch(/^[0-9a-f]{64}$/);
  expect(result.durationMs).toBeGreaterThanOrEqual(0);
  await expect(runBurn(['/nonexistent/flasher'], 1000)).rejects.toThrow(/could not start \(ENOENT\)/);
});

it('keeps the digest of the whole output but only scrubbed last lines when the programmer prints a key', async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const script = `process.stdout.write(${JSON.stringify(`start\n${pem}hex ${Buffer.from(pem).toString('hex').slice(0, 80)}\nerror at 0x08\n`)})`;
  const result = await runBurn([process.execPath, '-e', script], 10_000);
  expect(result.lastLines).toEqual([
    'start',
    '[PEM block removed]',
    'hex [long base64/hex removed]',
    'error at 0x08',
  ]);
  const printed = `start\n${pem}hex ${Buffer.from(pem).toString('hex').slice(0, 80)}\nerror at 0x08\n`;
  expect(result.logSha256).toBe(createHash('sha256').update(printed).digest('hex'));
});
