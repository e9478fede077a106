import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  apiSchema,
  claimSchema,
  describeSchema,
  loadConfig,
  workerSchema,
} from '@claimline/config';

/** The emulator writes its client files under <STATE_DIR>/emulator/client (apps/emulator/src/main.ts). */
const CLIENT_FILES = {
  AWS_IOT_CA_PATH: 'AmazonRootCA1.pem',
  AWS_IOT_CLAIM_CERT_PATH: 'claim.cert.pem',
  AWS_IOT_CLAIM_KEY_PATH: 'claim.private.key',
  WORKER_TEMPLATES_DIR: 'templates',
} as const;

describe('defaults under STATE_DIR', () => {
  it("follow STATE_DIR in the worker's and the API's configuration", () => {
    const worker = loadConfig('worker', workerSchema, { STATE_DIR: '/srv/claimline-state' });
    for (const [variable, file] of Object.entries(CLIENT_FILES)) {
      expect(worker[variable as keyof typeof CLIENT_FILES]).toBe(
        `/srv/claimline-state/emulator/client/${file}`,
      );
    }
    const api = loadConfig('api', apiSchema, { STATE_DIR: 'state/run-2' });
    expect(api.API_DEVICE_CA_PATH).toBe('state/run-2/emulator/client/AmazonRootCA1.pem');
    const claim = loadConfig('claim', claimSchema, { STATE_DIR: '/x' });
    expect(claim.AWS_IOT_CA_PATH).toBe('/x/emulator/client/AmazonRootCA1.pem');
  });

  it('are .claimline/… without STATE_DIR, and an explicit variable wins', () => {
    const worker = loadConfig('worker', workerSchema, {
      STATE_DIR: '',
      AWS_IOT_CA_PATH: '/etc/aws/AmazonRootCA1.pem',
    });
    expect(worker.STATE_DIR).toBe('.claimline');
    expect(worker.AWS_IOT_CA_PATH).toBe('/etc/aws/AmazonRootCA1.pem');
    expect(worker.AWS_IOT_CLAIM_CERT_PATH).toBe('.claimline/emulator/client/claim.cert.pem');
    expect(loadConfig('api', apiSchema, {}).API_DEVICE_CA_PATH).toBe(
      '.claimline/emulator/client/AmazonRootCA1.pem',
    );
  });

  it('name files the emulator writes, and are documented as <STATE_DIR>/…', () => {
    const repo = path.resolve(__dirname, '../../..');
    expect(readFileSync(path.join(repo, 'apps/emulator/src/main.ts'), 'utf8')).toContain(
      "resolve(env.STATE_DIR, 'emulator')",
    );
    const clientFiles = readFileSync(path.join(repo, 'apps/emulator/src/client-files.ts'), 'utf8');
    const documented = new Map(describeSchema(workerSchema).map((d) => [d.variable, d.defaultValue]));
    for (const [variable, file] of Object.entries(CLIENT_FILES)) {
      expect(clientFiles).toContain(`'${file}'`);
      expect(documented.get(variable)).toBe(`<STATE_DIR>/emulator/client/${file}`);
    }
  });
});

describe('the worker fault-injection switch', () => {
  function issuesOf(env: Record<string, string>): ConfigError['issues'] {
    try {
      loadConfig('worker', workerSchema, env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues;
    }
    return [];
  }

  it('is refused at start-up, naming the variable, unless CLAIMLINE_TEST_FAULTS is set', () => {
    const issues = issuesOf({ WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED: 'true' });
    expect(issues).toEqual([
      {
        variable: 'WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED',
        problem: expect.stringContaining('refused unless CLAIMLINE_TEST_FAULTS=1'),
      },
    ]);
    expect(
      issuesOf({ WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED: 'true', CLAIMLINE_TEST_FAULTS: '0' }),
    ).toHaveLength(1);
  });

  it('is allowed under CLAIMLINE_TEST_FAULTS=1, and off by default', () => {
    const config = loadConfig('worker', workerSchema, {
      WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED: 'true',
      CLAIMLINE_TEST_FAULTS: '1',
    });
    expect(config.WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED).toBe(true);
    expect(loadConfig('worker', workerSchema, {}).WORKER_FAULT_CRASH_AFTER_CERTIFICATE_SAVED).toBe(false);
  });
});
