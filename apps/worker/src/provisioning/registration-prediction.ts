import { X509Certificate } from 'node:crypto';
import {
  loadTemplates,
  planProvisioning,
  TemplateEvaluationError,
  TemplateValidationError,
} from '@claimline/provisioning-template';
import type { RegisteredThing } from './claim-port.js';

export type Prediction =
  { kind: 'predicted'; thing: RegisteredThing } | { kind: 'unpredictable'; reason: string };

/**
 * What RegisterThing gave (or would give) a unit — its thing name and device configuration — computed
 * from the provisioning template as its owner keeps it (`WORKER_TEMPLATES_DIR`, the same files that
 * are uploaded to AWS), with the unit's parameters and certificate. Used only when AWS's answer was
 * lost. It cannot know a pre-provisioning hook's parameter overrides: a template whose hook overrides
 * what names the thing is predicted wrongly, and the connect probe then fails safe (unknown).
 */
export async function predictRegistration(
  templatesDir: string,
  templateName: string,
  parameters: Record<string, string>,
  certificate: { certificateId: string; certificatePem: string },
): Promise<Prediction> {
  let templates;
  try {
    // Read on demand: this runs only for lost answers, and the files may change under a running worker.
    templates = await loadTemplates(templatesDir);
  } catch (error) {
    if (error instanceof TemplateValidationError) return { kind: 'unpredictable', reason: error.message };
    return {
      kind: 'unpredictable',
      reason: `templates folder ${templatesDir} could not be read: ${(error as Error).message}`,
    };
  }
  const template = templates.get(templateName);
  if (!template)
    return { kind: 'unpredictable', reason: `template ${templateName} is not in ${templatesDir}` };
  try {
    const plan = planProvisioning(template, parameters, certificateFacts(certificate));
    if (!plan.thing)
      return { kind: 'unpredictable', reason: `template ${templateName} creates no thing to connect as` };
    return {
      kind: 'predicted',
      thing: { thingName: plan.thing.thingName, deviceConfiguration: plan.deviceConfiguration },
    };
  } catch (error) {
    if (error instanceof TemplateEvaluationError)
      return { kind: 'unpredictable', reason: `${error.errorCode}: ${error.message}` };
    throw error;
  }
}

function certificateFacts(certificate: { certificateId: string; certificatePem: string }) {
  const subject = new X509Certificate(certificate.certificatePem).subject;
  const field = (name: string) =>
    subject
      .split('\n')
      .find((line) => line.startsWith(`${name}=`))
      ?.slice(name.length + 1);
  return {
    certificateId: certificate.certificateId,
    commonName: field('CN'),
    country: field('C'),
    organization: field('O'),
  };
}
