import pino, { type Logger, type LoggerOptions } from 'pino';
import { censorSecrets } from './censor.js';
import { redactSecretsInText } from './redact-text.js';

export type { Logger } from 'pino';
export { REDACTED_PATHS, SECRET_FIELD_NAMES } from './secret-fields.js';
export { REDACTED, redactSecretsInText } from './redact-text.js';
export { censorSecrets } from './censor.js';

export type CreateLoggerOptions = {
  name: string;
  level?: string;
  /** Write somewhere other than stdout (tests scan what a process logged). */
  destination?: pino.DestinationStream;
};

/** pino's error serializer, with PEM keys, API keys and secret fields taken out of message and stack. */
function errorSerializer(error: Error): pino.SerializedError {
  const serialized = pino.stdSerializers.err(error);
  serialized.message = redactSecretsInText(serialized.message);
  if (serialized.stack) serialized.stack = redactSecretsInText(serialized.stack);
  return serialized;
}

type Serializers = Record<string, (value: unknown) => unknown>;

/** Serializers whose output is censored like any other logged value. */
function censoring(serializers: Serializers): Serializers {
  const wrapped: Serializers = {};
  for (const [key, serialize] of Object.entries(serializers))
    wrapped[key] = (value) => censorSecrets(serialize(value), undefined, 1);
  return wrapped;
}

/** The top-level keys a logger serializes: their serialized value is censored, not the raw one. */
function serializedKeys(logger: Logger): (key: string) => boolean {
  const serializers = (logger as unknown as Record<symbol, Serializers>)[pino.symbols.serializersSym] ?? {};
  return (key) => key in serializers;
}

/**
 * The one logger factory of every process. Secret fields (SECRET_FIELD_NAMES) are censored at the
 * top and nested up to four levels (the paths REDACTED_PATHS lists) in the log object, in every
 * child's bindings and in what a serializer makes of a value; errors and the message text go through
 * `redactSecretsInText`.
 */
export function createLogger({ name, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    name,
    level,
    serializers: censoring({ err: errorSerializer as (value: unknown) => unknown }),
    hooks: {
      logMethod(args, method) {
        const censored = args.map((arg, i) =>
          typeof arg === 'string'
            ? redactSecretsInText(arg)
            : i === 0 && typeof arg === 'object' && arg !== null && !(arg instanceof Error)
              ? censorSecrets(arg, serializedKeys(this))
              : arg,
        );
        method.apply(this, censored as Parameters<typeof method>);
      },
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // A child is created from its parent's prototype chain, so this one override covers every descendant.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    const added = childOptions?.serializers as Serializers | undefined;
    const own = added ? { ...childOptions, serializers: censoring(added) } : childOptions;
    const inherited = serializedKeys(this);
    const skip = (key: string) => inherited(key) || (added !== undefined && key in added);
    return child.call(this, censorSecrets(bindings, skip), own);
  } as Logger['child'];
  return logger;
}
