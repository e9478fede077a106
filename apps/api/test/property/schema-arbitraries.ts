import fc, { type Arbitrary } from 'fast-check';

/**
 * fast-check arbitraries from the JSON Schemas of the API's OpenAPI 3.1 document: `valid` builds values
 * the schema accepts (with domain hints by property name, so that requests reach the services and not
 * only zod), `broken` builds values that break the schema or the storage underneath it.
 */
export type JsonSchema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

export type Hints = Record<string, Arbitrary<unknown>>;

const MAX_ARRAY = 20;
const MAX_STRING = 300;

/** Strings no storage layer can hold, keys of the prototype chain, and sizes past every limit. */
export const brokenString: Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
      .map(([a, b]) => `${a}\u0000${b}`),
    weight: 3,
  },
  {
    arbitrary: fc
      .tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 0xd800, max: 0xdfff }))
      .map(([a, unit]) => `${a}${String.fromCharCode(unit)}`),
    weight: 3,
  },
  {
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'valueOf',
    ),
    weight: 3,
  },
  // Past every field limit, past Node's 16 kB header limit, past the test's 64 kB body limit.
  { arbitrary: fc.constantFrom(1_000, 70_000).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'null',
      '-1',
      '1e309',
      '../../etc/passwd',
      'a:b:c',
      '%00',
      '\u202e',
      '😀',
    ),
    weight: 3,
  },
);

/** Any JSON value of the wrong kind for most fields. */
export const wrongType: Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.jsonValue({ maxDepth: 2 }),
  brokenString,
);

export function resolve(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = components[name];
  if (!target) throw new Error(`unknown $ref ${schema.$ref}`);
  return resolve(target, components);
}

/** An own enumerable property, even for "__proto__" (assignment would set the prototype instead). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function stringArbitrary(schema: JsonSchema): Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  return fc.string({
    minLength: schema.minLength ?? 0,
    maxLength: Math.min(schema.maxLength ?? MAX_STRING, MAX_STRING),
  });
}

export function validArbitrary(
  schema: JsonSchema,
  components: Record<string, JsonSchema>,
  hints: Hints = {},
): Arbitrary<unknown> {
  const s = resolve(schema, components);
  const recurse = (child: JsonSchema, name?: string): Arbitrary<unknown> => {
    const plain = validArbitrary(child, components, hints);
    const hint = name !== undefined && Object.hasOwn(hints, name) ? hints[name] : undefined;
    return hint ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: plain, weight: 1 }) : plain;
  };
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => recurse(a)));
  switch (s.type) {
    case 'string':
      return stringArbitrary(s);
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(recurse(s.items ?? {}), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? MAX_ARRAY, MAX_ARRAY),
      });
    case 'object': {
      const properties = Object.entries(s.properties ?? {});
      const required = new Set(s.required ?? []);
      const fixed = fc.tuple(
        ...properties.map(([name, child]) =>
          required.has(name)
            ? recurse(child, name).map((v) => [name, v] as const)
            : fc.option(
                recurse(child, name).map((v) => [name, v] as const),
                { nil: undefined },
              ),
        ),
      );
      const extra =
        typeof s.additionalProperties === 'object'
          ? fc.dictionary(
              stringArbitrary(s.propertyNames ?? { minLength: 1, maxLength: 20 }),
              recurse(s.additionalProperties),
              { maxKeys: 4 },
            )
          : fc.constant({});
      return fc.tuple(fixed, extra).map(([entries, more]) => {
        const value: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(more)) setOwn(value, k, v);
        for (const entry of entries) if (entry) setOwn(value, entry[0], entry[1]);
        return value;
      });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Step = string | number;

function pathsOf(value: unknown, at: Step[] = [], out: Step[][] = []): Step[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function replaceAt(value: unknown, path: Step[], replacement: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replacement(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaceAt(v, rest, replacement) : v));
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as object))
    setOwn(copy, k, k === head ? replaceAt(v, rest, replacement) : v);
  return copy;
}

/**
 * A valid value broken in one place: a leaf or a subtree replaced by a wrong type or an unstorable
 * string, or an object given an extra key (a prototype key, an unstorable one, an unknown one).
 */
export function brokenArbitrary(valid: Arbitrary<unknown>): Arbitrary<unknown> {
  const extraKey = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'unknownField'),
    brokenString.filter((k) => k.length < 1_000),
  );
  return valid.chain((value) =>
    fc
      .tuple(
        fc.constantFrom(...pathsOf(value)),
        fc.oneof(
          wrongType.map((w) => () => w),
          fc.tuple(extraKey, wrongType).map(([k, w]) => (old: unknown) => {
            if (old === null || typeof old !== 'object' || Array.isArray(old)) return w;
            const copy: Record<string, unknown> = { ...old };
            setOwn(copy, k, w);
            return copy;
          }),
        ),
      )
      .map(([path, replacement]) => replaceAt(value, path, replacement)),
  );
}
