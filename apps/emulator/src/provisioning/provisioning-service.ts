import type { Logger } from '@claimline/logger';
import {
  planProvisioning,
  TemplateEvaluationError,
  type CertificateFacts,
  type ProvisioningPlan,
  type ProvisioningTemplate,
} from '@claimline/provisioning-template';
import { arns } from '../aws-arns.js';
import { checkCsr } from '../pki/csr.js';
import type { EmulatorPki, IssuedCertificate } from '../pki/emulator-pki.js';
import type { KeyPool } from '../pki/key-pool.js';
import { x509 } from '../pki/x509.js';
import type { OwnershipTokens } from '../registry/ownership-tokens.js';
import type { RegistryStore } from '../registry/registry-store.js';
import { applyPlan } from './apply-plan.js';
import { callHook } from './hook-client.js';
import { ProvisioningError } from './provisioning-error.js';

export type RequestContext = { clientId: string; claimCertificateId: string };

export type ServiceDeps = {
  /** Issues device certificates from the device CA. */
  ca: Pick<EmulatorPki, 'issueDeviceCertificate'>;
  keys: KeyPool;
  store: RegistryStore;
  tokens: OwnershipTokens;
  templates: Map<string, ProvisioningTemplate>;
  hookTimeoutMs: number;
  logger: Logger;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The three fleet-provisioning operations, free of MQTT: a request object in, a response object out. */
export class ProvisioningService {
  constructor(private readonly deps: ServiceDeps) {}

  async createKeysAndCertificate(request: unknown) {
    if (request !== undefined && !isObject(request))
      throw new ProvisioningError('InvalidPayload', 'request must be an object');
    const key = await this.deps.keys.take();
    const issued = await this.deps.ca.issueDeviceCertificate(key.publicKeyDer);
    return { ...this.#record(issued), privateKey: key.privateKeyPem };
  }

  async createCertificateFromCsr(request: unknown) {
    if (!isObject(request))
      throw new ProvisioningError(
        'InvalidPayload',
        'request must be an object with certificateSigningRequest',
      );
    const csr = await checkCsr(request.certificateSigningRequest);
    if (!csr.ok) throw new ProvisioningError('InvalidCsr', csr.reason);
    // AWS keeps the CSR's subject as sent.
    return this.#record(await this.deps.ca.issueDeviceCertificate(csr.publicKey, csr.subject));
  }

  async registerThing(templateName: string, request: unknown, context: RequestContext) {
    const template = this.deps.templates.get(templateName);
    if (!template)
      throw new ProvisioningError(
        'ResourceNotFoundException',
        `provisioning template ${templateName} does not exist`,
      );
    if (!isObject(request)) throw new ProvisioningError('InvalidPayload', 'request must be an object');
    const parameters = requestParameters(request.parameters);
    const token = request.certificateOwnershipToken;
    const certificateId = this.deps.tokens.reserve(token);
    const cert = certificateId ? this.deps.store.certificates.get(certificateId) : undefined;
    if (!certificateId || !cert) {
      if (certificateId) this.deps.tokens.release(token as string);
      throw new ProvisioningError(
        'InvalidCertificateOwnershipToken',
        'certificate ownership token is invalid, expired or already used',
      );
    }
    try {
      let resolved = parameters;
      if (template.hookUrl) {
        const overrides = await callHook(
          template.hookUrl,
          {
            claimCertificateId: context.claimCertificateId,
            certificateId,
            certificatePem: cert.certificatePem,
            templateArn: arns.provisioningTemplate(templateName),
            clientId: context.clientId,
            parameters,
          },
          this.deps.hookTimeoutMs,
          this.deps.logger,
        );
        resolved = { ...parameters, ...overrides };
      }
      const plan = planOrReject(template, resolved, certificateFacts(certificateId, cert.certificatePem));
      applyPlan(this.deps.store, plan, certificateId);
      this.deps.tokens.consume(token as string);
      return { deviceConfiguration: plan.deviceConfiguration, thingName: plan.thing?.thingName ?? '' };
    } finally {
      this.deps.tokens.release(token as string);
    }
  }

  #record(issued: IssuedCertificate) {
    this.deps.store.certificates.set(issued.certificateId, {
      certificateId: issued.certificateId,
      status: 'PENDING_ACTIVATION',
      certificatePem: issued.certificatePem,
      policyNames: [],
      createdAt: new Date().toISOString(),
    });
    this.deps.store.changed();
    return { ...issued, certificateOwnershipToken: this.deps.tokens.issue(issued.certificateId) };
  }
}

/**
 * RegisterThing's `parameters` as AWS models them: a map of string to string. AWS documents no answer
 * for other values; the emulator refuses them rather than stringify them (`12345` is not `"12345"`).
 */
function requestParameters(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new ProvisioningError('InvalidPayload', 'parameters must be an object');
  for (const [name, parameter] of Object.entries(value))
    if (typeof parameter !== 'string')
      throw new ProvisioningError('InvalidPayload', `parameters.${name} must be a string`);
  return value as Record<string, string>;
}

/** The template's evaluation, its failures answered with AWS's codes. */
function planOrReject(
  template: ProvisioningTemplate,
  parameters: Record<string, string>,
  facts: CertificateFacts,
): ProvisioningPlan {
  try {
    return planProvisioning(template, parameters, facts);
  } catch (error) {
    if (error instanceof TemplateEvaluationError) throw new ProvisioningError(error.errorCode, error.message);
    throw error;
  }
}

function certificateFacts(certificateId: string, pem: string): CertificateFacts {
  const subject = new x509.X509Certificate(pem).subjectName;
  const first = (type: string) => subject.getField(type)[0];
  return { certificateId, commonName: first('CN'), country: first('C'), organization: first('O') };
}
