import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, REDACTED_PATHS, redactSecretsInText, SECRET_FIELD_NAMES } from '@claimline/logger';

const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const sec1 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .privateKey.export({ type: 'sec1', format: 'pem' })
  .toString();
const apiKey = `cl_0123456789ab_${'S'.repeat(43)}`;
const token = 'OWNERSHIP-TOKEN-eyJ2ZXJzaW9uIjoiMjAxOS0wNS0xNCJ9-secret';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ name: 'test', level: 'trace', destination }), lines };
}

const secrets = [pem.split('\n')[1]!, sec1.split('\n')[1]!, 'S'.repeat(43), token, 'SEALED-CT-VALUE'];
const leaked = (lines: string[]) => secrets.filter((s) => lines.some((line) => line.includes(s)));

describe('one list of secret field names, every depth', () => {
  it('censors each name at the top level and nested up to four levels', () => {
    const { logger, lines } = capture();
    for (const name of SECRET_FIELD_NAMES) {
      const value = `${name}-value-${token}`;
      logger.info({ [name]: value }, 'top');
      logger.info({ a: { [name]: value } }, 'one');
      logger.info({ a: { b: { c: { d: { [name]: value } } } } }, 'four');
    }
    expect(lines).toHaveLength(SECRET_FIELD_NAMES.length * 3);
    expect(leaked(lines)).toEqual([]);
    expect(lines.every((l) => l.includes('[redacted]'))).toBe(true);
  });

  it('covers the names the code uses', () => {
    for (const name of [
      'privateKeyPem',
      'privateKey',
      'ownershipToken',
      'certificateOwnershipToken',
      'token',
      'apiKey',
      'authorization',
      'x-api-key',
      'cookie',
      'sealedPrivateKey',
    ])
      expect(SECRET_FIELD_NAMES).toContain(name);
    expect(REDACTED_PATHS).toContain('*["x-api-key"]');
    expect(REDACTED_PATHS).toContain('*.*.privateKeyPem');
  });

  it('censors request headers and sealed payloads as a request logger would log them', () => {
    const { logger, lines } = capture();
    logger.info({
      req: { headers: { authorization: `Bearer ${apiKey}`, 'x-api-key': apiKey, cookie: `s=${apiKey}` } },
      res: { body: { sealedPrivateKey: { v: 1, ct: 'SEALED-CT-VALUE' } } },
    });
    expect(leaked(lines)).toEqual([]);
  });

  it('censors the bindings of children and grandchildren, array items, error fields and frozen objects', () => {
    const { logger, lines } = capture();
    const child = logger.child({ serial: 'SN-1', token }).child({ job: { privateKey: pem } });
    const error = Object.assign(new Error('boom'), { ownershipToken: token });
    child.info({ list: [{ sealed: 'SEALED-CT-VALUE' }], frozen: Object.freeze({ apiKey }), err: error }, 'x');
    child.error(error);
    expect(lines).toHaveLength(2);
    expect(leaked(lines)).toEqual([]);
    expect(lines.join('\n')).not.toContain('S'.repeat(43));
    expect(lines.every((l) => l.includes('"serial":"SN-1"') && l.includes('"message":"boom"'))).toBe(true);
  });

  it('censors what a serializer makes of a value, for serializers given to a child too (as pino-http does)', () => {
    const { logger, lines } = capture();
    type Req = { url: string; headers: Record<string, string> };
    const child = logger.child(
      {},
      { serializers: { req: (req: Req) => ({ url: req.url, headers: req.headers }) } },
    );
    const req: Req = { url: '/v1/units', headers: { authorization: `Bearer ${apiKey}` } };
    child.child({ req }).info('request');
    child.info({ req }, 'again');
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('S'.repeat(43));
    expect(lines.every((l) => l.includes('"url":"/v1/units"') && l.includes('[redacted]'))).toBe(true);
  });
});

describe('free text', () => {
  it('redacts PEM keys, API keys and JSON secret fields in messages and errors', () => {
    const { logger, lines } = capture();
    logger.warn(`claim failed: ${JSON.stringify({ certificateOwnershipToken: token, privateKey: pem })}`);
    logger.error({ err: new Error(`bad payload ${sec1} from ${apiKey}`) }, 'unhandled');
    logger.info('key %s used', apiKey);
    logger.info(`sealed ${JSON.stringify({ sealedPrivateKey: { v: 1, ct: 'SEALED-CT-VALUE' } })}`);
    expect(lines).toHaveLength(4);
    expect(leaked(lines)).toEqual([]);
    expect(lines.join('\n')).toContain('cl_0123456789ab_[redacted]');
  });

  it('redactSecretsInText: truncated PEM, query strings, escaped JSON', () => {
    const cut = pem.slice(0, 80);
    expect(redactSecretsInText(`oops ${cut}`)).not.toContain(cut.split('\n')[1]!.slice(0, 20));
    expect(redactSecretsInText(`/v1/x?token=${token}&page=2`)).toBe('/v1/x?token=[redacted]&page=2');
    expect(redactSecretsInText(JSON.stringify(JSON.stringify({ privateKeyPem: pem })))).not.toContain(
      pem.split('\n')[1]!,
    );
    expect(redactSecretsInText('nothing secret here')).toBe('nothing secret here');
  });
});
