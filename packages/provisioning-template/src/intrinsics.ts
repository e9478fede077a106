import { TemplateEvaluationError } from './template-error.js';

export type EvalContext = {
  parameters: Record<string, string>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
};

const fail = (message: string): never => {
  throw new TemplateEvaluationError('TemplateProcessingFailure', message);
};

const asString = (value: unknown, where: string): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(`${where} must resolve to a string`);
};

const asList = (value: unknown, where: string): unknown[] =>
  Array.isArray(value) ? value : fail(`${where} must resolve to a list`);

function ref(name: unknown, ctx: EvalContext): string {
  if (typeof name !== 'string') return fail('Ref needs a name');
  const value = ctx.parameters[name];
  // AWS answers a reference it cannot resolve (no such parameter, no value, no default) this way.
  if (value === undefined)
    throw new TemplateEvaluationError('InvalidParameters', `Cannot resolve reference value: ${name}`);
  return value;
}

function sub(args: unknown, ctx: EvalContext): string {
  const [text, vars] =
    typeof args === 'string' ? [args, {}] : Array.isArray(args) ? [args[0], args[1] ?? {}] : [undefined, {}];
  if (typeof text !== 'string' || typeof vars !== 'object' || vars === null)
    return fail('Fn::Sub needs a string or [string, {variables}]');
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(vars as Record<string, unknown>))
    resolved[key] = evaluate(value, ctx);
  return text.replace(/\$\{([^}]+)\}/g, (_match, name: string) =>
    name in resolved ? asString(resolved[name], `Fn::Sub \${${name}}`) : ref(name, ctx),
  );
}

/** Evaluates the intrinsic functions of a template value: Ref, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::Sub. */
export function evaluate(value: unknown, ctx: EvalContext): unknown {
  if (Array.isArray(value)) return value.map((item) => evaluate(item, ctx));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [key, args] = entries[0] ?? [];
  if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
    switch (key) {
      case 'Ref':
        return ref(args, ctx);
      case 'Fn::Join': {
        const [delimiter, list] = asList(args, 'Fn::Join');
        return asList(evaluate(list, ctx), 'Fn::Join list')
          .map((item) => asString(item, 'Fn::Join item'))
          .join(asString(delimiter, 'Fn::Join delimiter'));
      }
      case 'Fn::Select': {
        const [index, list] = asList(args, 'Fn::Select');
        const items = asList(evaluate(list, ctx), 'Fn::Select list');
        const position = Number(evaluate(index, ctx));
        if (!Number.isInteger(position) || position < 0 || position >= items.length)
          return fail(`Fn::Select index ${String(index)} is out of range`);
        return items[position];
      }
      case 'Fn::Split': {
        const [delimiter, text] = asList(args, 'Fn::Split');
        return asString(evaluate(text, ctx), 'Fn::Split source').split(
          asString(delimiter, 'Fn::Split delimiter'),
        );
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = asList(evaluate(args, ctx), 'Fn::FindInMap').map((item) =>
          asString(item, 'Fn::FindInMap key'),
        );
        const found = ctx.mappings[map ?? '']?.[top ?? '']?.[second ?? ''];
        return found === undefined ? fail(`Fn::FindInMap: no ${map}.${top}.${second}`) : found;
      }
      case 'Fn::Sub':
        return sub(args, ctx);
      default:
        return fail(`unsupported intrinsic function ${key}`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, evaluate(v, ctx)]));
}

export { asString };
