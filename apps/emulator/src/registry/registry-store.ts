import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CertificateRecord, CounterSecond, OwnershipToken, Policy, Thing } from './types.js';

const COUNTER_WINDOW_SECONDS = 3600;
const SAVE_DEBOUNCE_MS = 50;

type Snapshot = {
  things: Thing[];
  certificates: CertificateRecord[];
  policies: Policy[];
  tokens: OwnershipToken[];
  counters: CounterSecond[];
};

/**
 * The emulated account: things, certificates (never a private key), policies, ownership tokens and
 * per-second call counters. Kept in memory, written to one JSON file (tmp + rename) shortly after
 * each change so a restart loses nothing.
 */
export class RegistryStore {
  readonly things = new Map<string, Thing>();
  readonly certificates = new Map<string, CertificateRecord>();
  readonly policies = new Map<string, Policy>();
  readonly tokens = new Map<string, OwnershipToken>();
  readonly #counters = new Map<number, Record<string, number>>();
  #saveTimer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<RegistryStore> {
    const store = new RegistryStore(file);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return store;
    const snapshot = JSON.parse(text) as Snapshot;
    for (const thing of snapshot.things) store.things.set(thing.thingName, thing);
    for (const cert of snapshot.certificates) store.certificates.set(cert.certificateId, cert);
    for (const policy of snapshot.policies) store.policies.set(policy.policyName, policy);
    for (const token of snapshot.tokens) store.tokens.set(token.token, token);
    for (const entry of snapshot.counters) store.#counters.set(entry.second, entry.counts);
    return store;
  }

  count(operation: string, now = Date.now()): void {
    const second = Math.floor(now / 1000);
    const counts = this.#counters.get(second) ?? {};
    counts[operation] = (counts[operation] ?? 0) + 1;
    this.#counters.set(second, counts);
    for (const old of this.#counters.keys()) {
      if (old > second - COUNTER_WINDOW_SECONDS) break;
      this.#counters.delete(old);
    }
    this.changed();
  }

  counters(): CounterSecond[] {
    return [...this.#counters.entries()].map(([second, counts]) => ({ second, counts: { ...counts } }));
  }

  /** Schedules a save; many changes in a burst produce one write. */
  changed(): void {
    if (this.#saveTimer) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined;
      void this.#save();
    }, SAVE_DEBOUNCE_MS);
    this.#saveTimer.unref();
  }

  async flush(): Promise<void> {
    if (this.#saveTimer) {
      clearTimeout(this.#saveTimer);
      this.#saveTimer = undefined;
      await this.#save();
    }
    await this.#saving;
  }

  #save(): Promise<void> {
    const snapshot: Snapshot = {
      things: [...this.things.values()],
      certificates: [...this.certificates.values()],
      policies: [...this.policies.values()],
      tokens: [...this.tokens.values()],
      counters: this.counters(),
    };
    const text = JSON.stringify(snapshot);
    // Chained so two saves never interleave their tmp files.
    this.#saving = this.#saving.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, text);
      await rename(tmp, this.file);
    });
    return this.#saving;
  }
}
