import { ConnectionWaitTimeout, createPrismaClient, withRawTransaction } from '@claimline/db';
import { createTestDatabase, type TestDatabase } from '@claimline/db/testing';

// withRawTransaction waits for a connection of the pool as long as Prisma's `maxWait` would, then
// refuses with ConnectionWaitTimeout (the API answers 503 DATABASE_BUSY), and a connection that comes
// free after the refusal goes back to the pool instead of leaking.
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('refuses after maxWaitMs when the pool has no free connection, and loses no connection', async () => {
  const prisma = createPrismaClient(db.url, { maxConnections: 1 });
  try {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const started = new Promise<void>((resolve) => (holding = resolve));
    const first = withRawTransaction(prisma, async (sql) => {
      await sql('SELECT 1', []);
      holding();
      await held;
      return 'first';
    });
    await started;
    await expect(withRawTransaction(prisma, async () => 'second', { maxWaitMs: 100 })).rejects.toBeInstanceOf(
      ConnectionWaitTimeout,
    );
    release();
    await expect(first).resolves.toBe('first');
    // The only connection: handed to the refused wait when it came free, and given back by it.
    const [row] = await withRawTransaction(prisma, (sql) => sql<{ n: number }>('SELECT 1 AS n', []), {
      maxWaitMs: 5_000,
    });
    expect(row).toEqual({ n: 1 });
  } finally {
    await prisma.$disconnect();
  }
});
