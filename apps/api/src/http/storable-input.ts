import { AppError } from '../errors/app-error.js';

/**
 * Object keys no request may use: `JSON.parse` makes `__proto__` an own key, and any code that copies,
 * merges or looks up by such a key can reach `Object.prototype`. Nothing in the API's contracts needs
 * them, so they are refused before any schema or service sees the input.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

type Path = (string | number)[];
/** A position in the input, linked to its parent, so the walk allocates no path unless it refuses. */
type Node = { value: unknown; key: string | number; parent: Node | undefined };

const MAX_PATH = 32;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The path to a node; very deep ones keep their two ends. */
const pathOf = (node: Node | undefined): Path => {
  const path: Path = [];
  for (let at = node; at; at = at.parent) path.unshift(at.key);
  return path.length <= MAX_PATH ? path : [...path.slice(0, MAX_PATH / 2), '…', ...path.slice(-MAX_PATH / 2)];
};

/** Why a string cannot be stored: Postgres refuses NUL in text and jsonb; lone surrogates are not UTF-8. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate';
  return undefined;
}

function refuseText(text: string, node: Node, what: 'value' | 'key'): void {
  const reason = unstorableReason(text);
  if (!reason) return;
  const path = pathOf(node);
  throw new AppError('UNSTORABLE_TEXT', `${path.join('.')}: ${what} ${reason}`, { path });
}

/**
 * The edge's first check, before zod: every string (value or key) at any depth must be storable text,
 * and no object key may be reserved. Walks with an explicit stack, so nesting depth cannot overflow it;
 * the cost is linear in the input (a few milliseconds for a 100,000-device batch).
 */
export function assertStorableInput(value: unknown, location: string): void {
  const stack: Node[] = [{ value, key: location, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const current = node.value;
    if (typeof current === 'string') refuseText(current, node, 'value');
    else if (Array.isArray(current))
      current.forEach((item, i) => stack.push({ value: item, key: i, parent: node }));
    else if (current !== null && typeof current === 'object') {
      for (const key of Object.keys(current)) {
        const child: Node = { value: (current as Record<string, unknown>)[key], key, parent: node };
        if (RESERVED_KEYS.has(key)) {
          const path = pathOf(child);
          throw new AppError('RESERVED_KEY', `${path.join('.')}: the key "${key}" is reserved`, { path });
        }
        refuseText(key, child, 'key');
        stack.push(child);
      }
    }
  }
}
