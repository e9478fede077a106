import http from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '@claimline/logger';
import { startSeededEmulator } from '@claimline/reconcile/testing';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import request from 'supertest';
import { answerClientErrors } from '../../src/index.js';
import { batchBody, startTestApi, type TestApi } from '../helpers.js';
import { enrol, newTestStation } from '../station-signing.js';
import { createStationFixtures, seedUnits, type StationFixtures } from '../station-fixtures.js';
import { requestArbitrary, type OpenApi, type WireRequest } from './route-requests.js';

/**
 * Issue 15, "no 500 on any input": requests generated from the OpenAPI document's route schemas
 * (valid, broken in one place, wrong types, NUL, lone surrogates, huge strings, prototype keys, odd
 * headers and methods) against the real app on a real port, real Postgres and Redis. Every answer is
 * below 500, and every 4xx is an RFC 9457 problem document with a code. Deterministic: a fixed seed
 * (FUZZ_SEED to change it), printed; FUZZ_REQUESTS sets the count (default 10,000).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 15_2026);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const PARALLEL = 8;
const MAX_BODY_READ = 64 * 1024;
/** Ends the run (as a failure) before Jest's time-out would tear the database down under it. */
const TIME_LIMIT_MS = 270_000;

let fixtures: StationFixtures;
/** The app's error log lines, to show with a failing answer. */
const serverErrors: string[] = [];
let api: TestApi;
let account: Awaited<ReturnType<typeof startSeededEmulator>> | undefined;
let server: http.Server;
let agent: http.Agent;
let port: number;

type Answer = { status: number; contentType: string; body: string };

const inFlight = new Set<Promise<Answer>>();
let stopped = false;

function send(req: WireRequest): Promise<Answer> {
  if (stopped) return Promise.reject(new Error('the test has ended'));
  const answer = sendNow(req);
  inFlight.add(answer);
  void answer.catch(() => undefined).finally(() => inFlight.delete(answer));
  return answer;
}

function sendNow(req: WireRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port, agent, method: req.method, path: req.path, headers: req.headers },
      (res) => {
        const contentType = String(res.headers['content-type'] ?? '');
        const done = (body: string) => resolve({ status: res.statusCode ?? 0, contentType, body });
        // An event stream stays open while its batch runs: the status and type are all we need.
        if (contentType.startsWith('text/event-stream')) {
          res.destroy();
          return done('');
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY_READ) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Empty when the answer keeps the contract; otherwise what is wrong with it. */
function contractBreach(answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith('application/problem+json'))
    return `a ${answer.status} of type ${answer.contentType}`;
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return `a ${answer.status} whose body is not JSON`;
  }
  const shapeOk =
    typeof problem.code === 'string' &&
    problem.code.length > 0 &&
    problem.status === answer.status &&
    typeof problem.type === 'string' &&
    typeof problem.title === 'string' &&
    typeof problem.detail === 'string';
  return shapeOk ? undefined : `a ${answer.status} that is not a problem document with a code`;
}

const show = (req: WireRequest) =>
  JSON.stringify({
    ...req,
    body: req.body && req.body.length > 500 ? `${req.body.slice(0, 500)}…` : req.body,
  });

beforeAll(async () => {
  fixtures = createStationFixtures();
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      serverErrors.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  // A real (empty) emulated AWS account, so that GET /v1/reconcile answers rather than 503s.
  account = await startSeededEmulator([], []);
  api = await startTestApi(
    { ...fixtures.env, API_MAX_DEVICES_PER_BATCH: '20', API_BODY_LIMIT: '64kb' },
    // The production pool size (the test clone's default is 4, too few for 8 requests at a time).
    {
      logger: createLogger({ name: 'api', level: 'error', destination }),
      maxConnections: 10,
      controlPlane: account.aws,
    },
  );
  server = api.app.listen(0, '127.0.0.1');
  answerClientErrors(server);
  await new Promise((resolve) => server.once('listening', resolve));
  port = (server.address() as AddressInfo).port;
  agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL });
  expect((await enrol(api.app, newTestStation(api.keys.station))).status).toBe(200);
});

afterAll(async () => {
  stopped = true;
  await Promise.allSettled([...inFlight]);
  agent?.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await api?.close();
  await account?.close();
});

it(`answers ${REQUESTS} generated requests with no 5xx, every 4xx a problem document`, async () => {
  const empty = await seedUnits(api.db.prisma, fixtures, 'PB', 0);
  const seeded = await seedUnits(api.db.prisma, fixtures, 'PU', 6);
  const mes = await request(api.app)
    .post('/v1/batches')
    .set(api.auth(api.keys.mes))
    .send(batchBody(['PQ-1', 'PQ-2', 'PQ-3']));
  expect(mes.status).toBe(202);
  const batchIds = [empty.batchId, seeded.batchId, mes.body.id as string];
  const serials = [...seeded.units.map((u) => u.serial), 'PQ-1', 'PQ-2', 'PQ-3'];
  const hints = {
    id: fc.constantFrom(...batchIds),
    serial: fc.oneof(fc.constantFrom(...serials), fc.stringMatching(/^[A-Z]{2}-[0-9]{1,6}$/)),
    templateName: fc.constantFrom('claimline-default'),
    templateParameters: fc.constantFrom({}, { SerialNumber: 'x' }),
    parameters: fc.constantFrom({}, { SerialNumber: 'y' }),
    stations: fc.array(fc.constantFrom('line-1', 'line-2', 'nope'), { minLength: 1, maxLength: 3 }),
    cursor: fc.constantFrom(Buffer.from(batchIds[0]!).toString('base64url'), 'bm90LWEtdXVpZA'),
  };
  const document = (await request(api.app).get('/openapi.json').expect(200)).body as OpenApi;
  // Counterexamples print short: a 300 kB string would bury the report.
  const arbitrary = requestArbitrary(document, api.keys, hints).map((req) =>
    Object.assign(req, { [fc.toStringMethod]: () => show(req) }),
  );

  const statuses = new Map<number, number>();
  let sent = 0;
  console.info(`any-input property test: seed ${SEED}, ${REQUESTS} requests, ${PARALLEL} at a time`);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  await fc.assert(
    fc.asyncProperty(fc.array(arbitrary, { minLength: PARALLEL, maxLength: PARALLEL }), async (requests) => {
      const answers = await Promise.all(requests.map(send));
      sent += requests.length;
      answers.forEach((answer, i) => {
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const breach = contractBreach(answer);
        if (breach) {
          const log = serverErrors.slice(-3).map((line) => line.slice(0, 1_500));
          throw new Error(
            `${breach}: ${show(requests[i]!)} → ${answer.body.slice(0, 500)}\n${log.join('\n')}`,
          );
        }
      });
    }),
    {
      seed: SEED,
      numRuns: Math.ceil(REQUESTS / PARALLEL),
      interruptAfterTimeLimit: TIME_LIMIT_MS,
      markInterruptAsFailure: true,
    },
  );
  const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  console.info(
    `sent ${sent} in ${Date.now() - started} ms (this process: ${cpuMs} ms CPU); ${histogram.join(', ')}`,
  );
  expect(sent).toBeGreaterThanOrEqual(REQUESTS);
  // The generator must reach the services, not only the validation layer.
  expect([...statuses.keys()].filter((s) => s < 300).length).toBeGreaterThan(0);
  expect(statuses.get(202) ?? 0).toBeGreaterThan(0);
}, 300_000);
