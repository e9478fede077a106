/** What a connection is, for the policy variables and condition keys AWS IoT resolves. */
export type PolicyContext = {
  clientId: string;
  /** The thing named like the client id, only when the certificate is attached to it (as AWS resolves it). */
  thing?: { thingName: string; thingTypeName?: string; attributes: Record<string, string> };
};

const ATTRIBUTE = /^iot:Connection\.Thing\.Attributes\[(.+)\]$/;

/** The value of a policy variable or condition key; undefined when AWS would leave it unresolved. */
export function contextValue(key: string, context: PolicyContext): string | undefined {
  switch (key) {
    case 'iot:ClientId':
      return context.clientId;
    case 'iot:Connection.Thing.IsAttached':
      return String(context.thing !== undefined);
    case 'iot:Connection.Thing.ThingName':
      return context.thing?.thingName;
    case 'iot:Connection.Thing.ThingTypeName':
      return context.thing?.thingTypeName;
    default: {
      const attribute = ATTRIBUTE.exec(key)?.[1];
      return attribute === undefined ? undefined : context.thing?.attributes[attribute];
    }
  }
}

const escapeRegex = (text: string) => text.replace(/[.+^$()|[\]{}\\/-]/g, '\\$&');
/** `*` and `?` of a policy pattern as a regular expression; everything else literal. */
const wildcardSource = (text: string) => escapeRegex(text).replace(/\*/g, '.*').replace(/\?/g, '.');

// Patterns without variables come from a finite set of policy documents: compiled once each.
const constants = new Map<string, RegExp>();
function constantPattern(pattern: string): RegExp {
  let regex = constants.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${wildcardSource(pattern)}$`, 's');
    constants.set(pattern, regex);
  }
  return regex;
}

/**
 * A resource or `StringLike` pattern as a regular expression: `*` any characters (`/` included, as in
 * IAM), `?` one character, `${variable}` its value taken literally, and `${*}`, `${?}`, `${$}` the
 * literal characters. Undefined when a variable cannot be resolved, so that the pattern matches nothing.
 */
export function compilePattern(pattern: string, context: PolicyContext): RegExp | undefined {
  if (!pattern.includes('${')) return constantPattern(pattern);
  let source = '';
  let rest = pattern;
  for (let match = /\$\{([^}]*)\}/.exec(rest); match; match = /\$\{([^}]*)\}/.exec(rest)) {
    source += wildcardSource(rest.slice(0, match.index));
    const name = match[1] ?? '';
    const value = ['*', '?', '$'].includes(name) ? name : contextValue(name, context);
    if (value === undefined) return undefined;
    source += escapeRegex(value).replace(/[*?]/g, '\\$&');
    rest = rest.slice(match.index + match[0].length);
  }
  return new RegExp(`^${source}${wildcardSource(rest)}$`, 's');
}
