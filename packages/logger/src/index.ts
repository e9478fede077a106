import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values are never logged. Private keys and ownership tokens must not reach a log even
 * by accident (an error object carrying a payload, a request body): these paths cover the shapes
 * the product handles, and `redactSecretsInText` covers free text.
 */
export const REDACTED_PATHS = [
  'privateKey',
  '*.privateKey',
  '*.*.privateKey',
  'certificateOwnershipToken',
  '*.certificateOwnershipToken',
  '*.*.certificateOwnershipToken',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export type CreateLoggerOptions = {
  name: string;
  level?: string;
  /** Write somewhere other than stdout (tests scan what a process logged). */
  destination?: pino.DestinationStream;
};

export function createLogger({ name, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options);
}

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;

/** Replaces any PEM private key in a string; for error messages built from foreign payloads. */
export function redactSecretsInText(text: string): string {
  return text.replace(PEM_PRIVATE_KEY, '[redacted private key]');
}
