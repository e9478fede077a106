import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { scrubbedTail } from '@claimline/station-contract';
import { StationError } from './station-error.js';

export const PLACEHOLDERS = ['cert', 'key', 'ca', 'serial', 'thingName', 'endpoint'] as const;
export type BurnValues = Record<(typeof PLACEHOLDERS)[number], string>;

/**
 * Splits the configured command into words (whitespace separates; '…' and "…" quote; no other shell
 * syntax), once, at start. Placeholders are replaced inside each word afterwards, so a serial or a thing
 * name can never become a new argument or shell syntax: the command is spawned without a shell.
 */
export function parseBurnCommand(
  template: string,
  what = 'the burn command',
  allowed: readonly string[] = PLACEHOLDERS,
): string[] {
  const words: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (const ch of template) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`${what} has an unclosed quote`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new Error(`${what} is empty`);
  for (const w of words) {
    for (const match of w.matchAll(/\{([A-Za-z]+)\}/g)) {
      if (!allowed.includes(match[1]!))
        throw new Error(
          `unknown placeholder {${match[1]}} in ${what}; known: ${allowed.map((p) => `{${p}}`).join(' ')}`,
        );
    }
  }
  return words;
}

export function substitute(words: readonly string[], values: Partial<BurnValues>): string[] {
  return words.map((w) =>
    w.replace(/\{([A-Za-z]+)\}/g, (_all, name: string) => values[name as keyof BurnValues] ?? ''),
  );
}

/**
 * What is kept of a burn. The output itself is never stored or shown: it may hold the key the programmer
 * was given. `lastLines` are the last lines with PEM blocks and long base64/hex runs removed
 * (scrubBurnOutput in @claimline/station-contract), for the operator and the audit.
 */
export type BurnResult = {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  logSha256: string;
  lastLines: string[];
};

const TAIL_BYTES = 8192;
const TAIL_LINES = 5;

/** Runs the burn command; the log digest covers stdout then stderr as received (interleaved by arrival). */
export async function runBurn(argv: readonly string[], timeoutMs: number): Promise<BurnResult> {
  const [command, ...args] = argv;
  const hash = createHash('sha256');
  let tail = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    hash.update(chunk);
    tail = Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES);
  };
  const started = performance.now();
  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>(
    (resolve, reject) => {
      const child = spawn(command!, args, {
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
      });
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          new StationError(
            'BURN_FAILED',
            `burn command ${command} could not start (${error.code ?? error.message})`,
          ),
        ),
      );
      child.on('close', (c, s) => resolve({ code: c, signal: s }));
    },
  );
  const durationMs = Math.round(performance.now() - started);
  const lastLines = scrubbedTail(tail.toString('utf8'), TAIL_LINES);
  return { exitCode: code, signal, durationMs, logSha256: hash.digest('hex'), lastLines };
}
