import { z } from 'zod';
import { nonNegativeInt, pathUnderStateDir, positiveInt, url } from '../fields.js';

const quota = (operation: string, fallback: number) =>
  nonNegativeInt()
    .default(fallback)
    .describe(
      `Control plane: ${operation} calls per second, shared by every process on every host (0 = no limit)`,
    );

/**
 * The AWS IoT control plane (REST, SigV4) that resolves lost answers and revokes, deactivates and
 * deletes certificates at AWS. Optional: `off`, or `emulator` without its client file, leaves
 * claimline running without it (lost answers then fall back to the connect probe).
 */
export const controlPlaneFields = {
  CONTROL_PLANE: z
    .enum(['emulator', 'aws', 'off'])
    .default('emulator')
    .describe(
      'Control plane: `emulator` (endpoint, region and access key from CONTROL_PLANE_CLIENT_FILE; off if the file is missing), `aws` (credentials from the SDK chain: env, profile, container or instance role), `off`',
    ),
  CONTROL_PLANE_CLIENT_FILE: pathUnderStateDir(
    'emulator/client/control-plane.json',
    'Control plane: the emulator client file (endpoint, region, access key); its CA is AmazonRootCA1.pem beside it',
  ),
  CONTROL_PLANE_ENDPOINT: url(['https'])
    .optional()
    .describe(
      'Control plane: endpoint URL (default: the client file in `emulator` mode, AWS regional in `aws`)',
    ),
  CONTROL_PLANE_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/)
    .optional()
    .describe(
      'Control plane: AWS region (default: the client file in `emulator` mode, the SDK chain in `aws`)',
    ),
  CONTROL_PLANE_CA_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Control plane: PEM file of CAs to trust instead of the defaults (emulator: AmazonRootCA1.pem beside the client file)',
    ),
  CONTROL_PLANE_TIMEOUT_MS: positiveInt()
    .default(10_000)
    .describe('Control plane: time-out of one call (connection and answer)'),
  CONTROL_PLANE_QUOTA_GUARD_MS: nonNegativeInt()
    .max(500)
    .default(100)
    .describe('Control plane: each quota holds over any 1000 + N ms (as WORKER_QUOTA_GUARD_MS)'),
  CONTROL_PLANE_QUOTA_DESCRIBE_CERTIFICATE_PER_SECOND: quota('DescribeCertificate', 10),
  CONTROL_PLANE_QUOTA_LIST_PRINCIPAL_THINGS_PER_SECOND: quota('ListPrincipalThings', 10),
  CONTROL_PLANE_QUOTA_LIST_THING_PRINCIPALS_PER_SECOND: quota('ListThingPrincipals', 10),
  CONTROL_PLANE_QUOTA_LIST_CERTIFICATES_PER_SECOND: quota('ListCertificates', 10),
  CONTROL_PLANE_QUOTA_UPDATE_CERTIFICATE_PER_SECOND: quota('UpdateCertificate', 10),
  CONTROL_PLANE_QUOTA_DELETE_CERTIFICATE_PER_SECOND: quota('DeleteCertificate', 10),
  CONTROL_PLANE_QUOTA_DETACH_THING_PRINCIPAL_PER_SECOND: quota('DetachThingPrincipal', 10),
  CONTROL_PLANE_QUOTA_LIST_ATTACHED_POLICIES_PER_SECOND: quota('ListAttachedPolicies', 10),
  CONTROL_PLANE_QUOTA_DETACH_POLICY_PER_SECOND: quota('DetachPolicy', 10),
};

/** The control-plane fields alone (a process spreads `controlPlaneFields` into its own schema). */
export const controlPlaneSchema = z.object(controlPlaneFields);

export type ControlPlaneConfig = z.output<typeof controlPlaneSchema>;
