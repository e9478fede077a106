import { z } from 'zod';
import { pathUnderStateDir, port, positiveInt } from '../fields.js';
import { stateDirFields } from './common.js';

/**
 * The claim connections of `@claimline/claim-client`. Defaults point at the local emulator's client
 * files; a real AWS IoT endpoint needs only these variables changed (see packages/claim-client/README.md).
 */
export const claimFields = {
  AWS_IOT_ENDPOINT: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('AWS IoT data endpoint host (xxxx-ats.iot.<region>.amazonaws.com), or the emulator host'),
  AWS_IOT_PORT: port()
    .default(8883)
    .describe('MQTT port of the endpoint: 8883, or 443 (TLS with ALPN x-amzn-mqtt-ca)'),
  AWS_IOT_CA_PATH: pathUnderStateDir(
    'emulator/client/AmazonRootCA1.pem',
    'PEM file of the CA that signed the endpoint certificate (Amazon Root CA 1 for AWS)',
  ),
  AWS_IOT_CLAIM_CERT_PATH: pathUnderStateDir(
    'emulator/client/claim.cert.pem',
    'PEM file of the shared claim certificate',
  ),
  AWS_IOT_CLAIM_KEY_PATH: pathUnderStateDir(
    'emulator/client/claim.private.key',
    'PEM file of the claim certificate private key',
  ),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'must be an AWS region such as eu-west-1' })
    .optional()
    .describe('AWS region of the IoT endpoint (informational: logged, not used to connect)'),
  CLAIM_CLIENT_ID_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 _ -' })
    .default('claimline')
    .describe('Prefix of the MQTT client ids of claim connections: <prefix>-<hostname>-<pid>-<n>'),
  CLAIM_POOL_SIZE: positiveInt()
    .max(256)
    .default(8)
    .describe('Number of long-lived claim connections per process; each runs one flow at a time'),
  CLAIM_OPERATION_TIMEOUT_MS: positiveInt()
    .default(10000)
    .describe('Time-out of one provisioning operation (request to accepted/rejected answer), in ms'),
};

export const claimSchema = z.object({ ...stateDirFields, ...claimFields });

export type ClaimConfig = z.output<typeof claimSchema>;
