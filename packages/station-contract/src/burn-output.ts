/**
 * What may be kept of a programmer's output: a burn command is the one process that holds a device key in
 * plaintext, and it may print it (a verbose flasher, a debug echo). The station keeps only the exit code,
 * the duration and the SHA-256 of the whole output; the few lines it shows and reports go through
 * scrubBurnOutput first, and the API scrubs the reported detail again before it reaches the audit table.
 */

/** A PEM block, or the start of one whose end was cut off (the station keeps only the output's tail). */
const PEM_BLOCK = /-----BEGIN [^-\r\n]{1,64}-----[\s\S]*?(?:-----END [^-\r\n]{1,64}-----|$)/g;
/** After whole blocks are gone, an END line left over had its start cut off: all before it is the block. */
const PEM_END = /^[\s\S]*-----END [^-\r\n]{1,64}-----/;
/**
 * 24 or more characters from the base64/base64url alphabet (hex is a subset), possibly padded: a key's
 * bytes in any common text form (32 key bytes are 43 base64 or 64 hex characters). Short words and
 * numbers stay readable; a long path or identifier is removed too, which costs a little diagnosis only.
 */
const LONG_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;

export const REDACTED_PEM = '[PEM block removed]';
export const REDACTED_RUN = '[long base64/hex removed]';

export function scrubBurnOutput(text: string): string {
  return text.replace(PEM_BLOCK, REDACTED_PEM).replace(PEM_END, REDACTED_PEM).replace(LONG_RUN, REDACTED_RUN);
}

/** The last `count` non-empty lines of a burn's output, scrubbed (PEM blocks are removed before splitting). */
export function scrubbedTail(output: string, count: number): string[] {
  return scrubBurnOutput(output)
    .split(/\r?\n/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '')
    .slice(-count);
}
