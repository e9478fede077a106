import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ManualClock,
  freePorts,
  percentile,
  startNodeProcess,
  summarizeLatencies,
  waitFor,
} from '../src/index.js';

describe('waitFor', () => {
  it('returns the first truthy value of the probe', async () => {
    let calls = 0;
    const value = await waitFor('the third probe', () => (++calls >= 3 ? { calls } : undefined), {
      timeoutMs: 2_000,
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('times out naming what it waited for, the last error and the detail', async () => {
    await expect(
      waitFor(
        'a condition that never holds',
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, intervalMs: 5, detail: () => 'state: empty' },
      ),
    ).rejects.toThrow(/waiting for a condition that never holds \(last error: not yet\)\nstate: empty/);
  });
});

describe('ManualClock', () => {
  it('moves only when advanced, and only forward', () => {
    const clock = new ManualClock(1_000);
    const now = clock.now;
    expect(now()).toBe(1_000);
    clock.advance(250);
    expect(now()).toBe(1_250);
    expect(clock.date().toISOString()).toBe(new Date(1_250).toISOString());
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('percentiles', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
    expect(percentile([7], 0.5)).toBe(7);
    expect(() => percentile([], 0.5)).toThrow(RangeError);
    expect(summarizeLatencies([3, 1, 2])).toEqual({ count: 3, p50: 2, p95: 3, p99: 3, max: 3 });
  });
});

describe('ports', () => {
  it('gives distinct free ports', async () => {
    const ports = await freePorts(3);
    expect(new Set(ports).size).toBe(3);
  });
});

describe('startNodeProcess', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'test-kit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for a readiness line, passes only the given environment, and stops with a signal', async () => {
    const script = join(dir, 'ready.js');
    await writeFile(
      script,
      `console.log('starting'); setTimeout(() => console.log('ready on ' + process.env.PORT + ' secret=' + (process.env.TEST_KIT_LEAK ?? 'none')), 20);
       process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);`,
    );
    process.env.TEST_KIT_LEAK = 'leaked';
    const proc = startNodeProcess(script, { env: { PORT: '4242' } });
    try {
      const match = await proc.waitForLine(/ready on (\d+) secret=(\w+)/, 10_000);
      expect(match[1]).toBe('4242');
      expect(match[2]).toBe('none');
      // A line already seen is found again without waiting.
      await expect(proc.waitForLine(/starting/, 1)).resolves.toBeTruthy();
    } finally {
      delete process.env.TEST_KIT_LEAK;
      expect(await proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(proc.lines).toContain('bye');
  });

  it('rejects a readiness wait when the process exits first', async () => {
    const script = join(dir, 'crash.js');
    await writeFile(script, `console.error('boom'); process.exit(3);`);
    const proc = startNodeProcess(script);
    await expect(proc.waitForLine(/ready/, 10_000)).rejects.toThrow(/exited \(3\) before a line matching/);
  });
});
