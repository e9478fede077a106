import fc, { type Arbitrary } from 'fast-check';
import {
  brokenArbitrary,
  brokenString,
  resolve,
  validArbitrary,
  wrongType,
  type Hints,
  type JsonSchema,
} from './schema-arbitraries.js';

/** One HTTP request as it goes on the wire: the path is already percent-encoded, the body is text. */
export type WireRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
};

type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: JsonSchema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
};
export type OpenApi = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
};

export type Credentials = { admin: string; mes: string; viewer: string; station: string };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Percent-encoding that also takes lone surrogates (as the CESU-8 bytes a sloppy client would send). */
export function encodeLoose(value: unknown): string {
  return String(value).split(LONE_SURROGATE).map(encodeURIComponent).join('%ED%A0%80');
}

/** A path segment as a client may send it: encoded, or raw bytes no UTF-8 decoder accepts. */
const pathSegment = (value: Arbitrary<unknown>): Arbitrary<string> =>
  fc.oneof(
    { arbitrary: value.map(encodeLoose), weight: 8 },
    {
      arbitrary: fc.constantFrom('%ED%A0%80', '%E0%A4%A', '%', '%zz', '%C0%AF', '..', '%2F..%2F'),
      weight: 1,
    },
  );

/** Header values a client can put on the wire (HTTP forbids control characters, so no NUL here). */
const oddHeaderValue: Arbitrary<string> = fc.oneof(
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: 300,
  }),
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.constantFrom('', ' ', 'x'.repeat(8_000), '__proto__', 'constructor'),
);

function authorization(path: string, keys: Credentials): Arbitrary<string | undefined> {
  const right = path.startsWith('/v1/station/') ? keys.station : keys.admin;
  return fc.oneof(
    { arbitrary: fc.constant(`Bearer ${right}`), weight: 12 },
    { arbitrary: fc.constantFrom(...Object.values(keys)).map((k) => `Bearer ${k}`), weight: 2 },
    { arbitrary: fc.constantFrom(undefined, 'Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${right}x`), weight: 1 },
    { arbitrary: oddHeaderValue, weight: 1 },
  );
}

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/merge-patch+json',
    ),
    weight: 2,
  },
  { arbitrary: oddHeaderValue, weight: 1 },
);

/** Odd but sendable extra headers (one request in five): Accept, X-Request-Id, Content-Encoding, Cookie, Idempotency-Key. */
const oddHeaders: Arbitrary<Record<string, string>> = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom('text/csv', 'application/json', 'image/png', '*/*;q=abc'),
      oddHeaderValue,
    ),
    'x-request-id': oddHeaderValue,
    'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'zstd', 'x'),
    cookie: fc.oneof(oddHeaderValue, fc.constant('cl_admin=a.b.c'), fc.constant('cl_admin=..')),
    'idempotency-key': oddHeaderValue,
  },
  { requiredKeys: [] },
);
const extraHeaders = fc.oneof(
  { arbitrary: fc.constant({}), weight: 4 },
  { arbitrary: fc.record({ 'idempotency-key': fc.string({ minLength: 1, maxLength: 40 }) }), weight: 1 },
  { arbitrary: oddHeaders, weight: 1 },
);

/** The body text: valid JSON of the schema, JSON broken in one place, or text that is not JSON at all. */
function bodyText(schema: JsonSchema, components: Record<string, JsonSchema>, hints: Hints) {
  const valid = validArbitrary(schema, components, hints);
  return fc.oneof(
    { arbitrary: valid.map((v) => JSON.stringify(v)), weight: 6 },
    { arbitrary: brokenArbitrary(valid).map((v) => JSON.stringify(v) ?? 'null'), weight: 6 },
    { arbitrary: wrongType.map((v) => JSON.stringify(v) ?? ''), weight: 1 },
    {
      arbitrary: fc.oneof(
        valid.map((v) => JSON.stringify(v).slice(0, -1)),
        fc.constantFrom('', '{', '{"a":1}}', '\u0000', '[1,2', 'null', '{"__proto__":{"x":1}}'),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.constant('['.repeat(50_000)),
      ),
      weight: 1,
    },
  );
}

/** Every documented operation as an arbitrary of wire requests: mostly well-formed, often broken. */
export function requestArbitrary(document: OpenApi, keys: Credentials, hints: Hints): Arbitrary<WireRequest> {
  const { schemas } = document.components;
  const operations = Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const params = op.parameters ?? [];
      const inPath = params.filter((p) => p.in === 'path');
      const inQuery = params.filter((p) => p.in === 'query');
      const valueOf = (p: Parameter) =>
        fc.oneof(
          { arbitrary: validArbitrary(p.schema, schemas, hints).map((v) => v), weight: 6 },
          { arbitrary: Object.hasOwn(hints, p.name) ? hints[p.name]! : brokenString, weight: 6 },
          { arbitrary: brokenString, weight: 2 },
        );
      const segments = fc.tuple(...inPath.map((p) => pathSegment(valueOf(p))));
      const query = fc.tuple(
        ...inQuery.map((p) =>
          fc.option(
            valueOf(p).map((v) => [p.name, String(v)] as const),
            { nil: undefined },
          ),
        ),
        fc.option(fc.tuple(fc.constantFrom('unknown', '__proto__', 'limit', 'page'), brokenString), {
          nil: undefined,
        }),
      );
      const bodySchema = op.requestBody?.content['application/json']?.schema;
      const body = bodySchema
        ? fc.option(bodyText(resolve(bodySchema, schemas), schemas, hints), { nil: undefined, freq: 20 })
        : fc.option(fc.constantFrom('{}', '{"x":1}', 'garbage'), { nil: undefined, freq: 2 });
      const verb = fc.oneof(
        { arbitrary: fc.constant(method), weight: 20 },
        { arbitrary: fc.constantFrom('get', 'post', 'put', 'delete', 'patch'), weight: 1 },
      );
      const request = fc
        .record({
          verb,
          segments,
          query,
          body,
          auth: authorization(path, keys),
          type: contentType,
          extra: extraHeaders,
        })
        .map(({ verb: m, segments: segs, query: q, body: b, auth, type, extra }) => {
          let i = 0;
          const filled = path.replace(/\{[^}]+\}/g, () => segs[i++] ?? '');
          const search = q
            .filter((e): e is readonly [string, string] => e !== undefined)
            .map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`)
            .join('&');
          const headers: Record<string, string> = { ...extra };
          if (auth !== undefined) headers.authorization = auth;
          if (b !== undefined && type !== undefined) headers['content-type'] = type;
          if (b === undefined) delete headers['content-encoding'];
          return { method: m.toUpperCase(), path: search ? `${filled}?${search}` : filled, headers, body: b };
        });
      // Routes without parameters or body take only headers: a smaller share of the requests.
      return { arbitrary: request, weight: params.length > 0 || op.requestBody ? 5 : 1 };
    }),
  );
  return fc.oneof(...operations);
}
