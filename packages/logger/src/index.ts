import pino, { type Logger, type LoggerOptions } from 'pino';
import { redactSecretsInText } from './redact-text.js';
import { REDACTED_PATHS } from './secret-fields.js';

export type { Logger } from 'pino';
export { REDACTED_PATHS, SECRET_FIELD_NAMES } from './secret-fields.js';
export { REDACTED, redactSecretsInText } from './redact-text.js';

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

/**
 * The one logger factory of every process. Secret fields are censored by name at any depth up to four
 * (SECRET_FIELD_NAMES), errors and the message text go through `redactSecretsInText`.
 */
export function createLogger({ name, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: errorSerializer },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactSecretsInText(arg) : arg));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
