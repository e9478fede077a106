import { generateKeyPairSync } from 'node:crypto';
import { REDACTED_PEM, REDACTED_RUN, scrubBurnOutput, scrubbedTail } from '../src/index.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const der = privateKey.export({ type: 'pkcs8', format: 'der' });
const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));

it('removes whole PEM blocks and keeps the lines around them', () => {
  const out = scrubBurnOutput(`programming SN-1\n${pem}write ok at 0x0800\n`);
  expect(out).toBe(`programming SN-1\n${REDACTED_PEM}\nwrite ok at 0x0800\n`);
});

it('removes a PEM block cut off at either end (only the tail of the output is kept)', () => {
  const lines = pem.trim().split('\n');
  const headless = `${lines.slice(2).join('\n')}\nexit 3`;
  expect(scrubBurnOutput(headless)).toBe(`${REDACTED_PEM}\nexit 3`);
  const endless = `flash error\n${lines.slice(0, -2).join('\n')}`;
  expect(scrubBurnOutput(endless)).toBe(`flash error\n${REDACTED_PEM}`);
});

it.each([
  ['base64', der.toString('base64')],
  ['base64url', der.toString('base64url')],
  ['hex', der.toString('hex')],
  ['a bare PEM body line', body[1]!],
  ['a 32-byte key in hex', 'a1'.repeat(32)],
])('removes a long %s run inside a line', (_what, run) => {
  const out = scrubBurnOutput(`key=${run} done`);
  expect(out).toBe(`key=${REDACTED_RUN} done`);
});

it('leaves ordinary diagnostics readable', () => {
  const line = 'verify after write: mismatch at 0x0800 (sector 12, retry 3/3), exit 3';
  expect(scrubBurnOutput(line)).toBe(line);
});

it('the tail keeps the last non-empty lines, scrubbed, never a key line', () => {
  const tail = scrubbedTail(`a\n\n${pem}\nb\r\nc\n`, 3);
  expect(tail).toEqual([REDACTED_PEM, 'b', 'c']);
  expect(scrubbedTail(`${body.join('\n')}\nerror`, 5).join('\n')).not.toMatch(/[A-Za-z0-9+/]{24}/);
});
