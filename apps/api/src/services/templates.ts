import type { AllowedTemplates } from '@claimline/config';
import { AppError } from '../errors/app-error.js';

type Value = string | number | boolean;
type Params = Record<string, Value> | undefined;

/** Filled in by the worker for every device, so a batch never has to send it. */
const WORKER_PARAMETERS = new Set(['SerialNumber']);
const MAX_REPORTED = 20;

/**
 * The own property `key` of a record built from configuration or a request, never one inherited from
 * `Object.prototype`: `templates['constructor']` would otherwise be a function, not "no such template".
 */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Checks a batch against the deployment's allowed templates: the name, each parameter's name and type,
 * and that every required parameter has a value (from the batch, the device, or a default).
 */
export function checkTemplate(
  templates: AllowedTemplates,
  name: string,
  batchParameters: Params,
  devices: readonly { serial: string; parameters?: Params }[],
): void {
  const template = own(templates, name);
  if (!template) {
    throw new AppError(
      'UNKNOWN_TEMPLATE',
      `template "${name}" is not allowed; allowed: ${Object.keys(templates).join(', ')}`,
      {
        allowed: Object.keys(templates),
      },
    );
  }
  const problems: string[] = [];
  const checkValues = (where: string, params: Params) => {
    for (const [key, value] of Object.entries(params ?? {})) {
      const spec = own(template.parameters, key);
      if (!spec) problems.push(`${where}: unknown parameter ${key}`);
      else if (typeof value !== spec.type) problems.push(`${where}: parameter ${key} must be a ${spec.type}`);
    }
  };
  const missingRequired = (params: Params) =>
    Object.entries(template.parameters).filter(
      ([key, spec]) =>
        spec.required &&
        spec.default === undefined &&
        !WORKER_PARAMETERS.has(key) &&
        own(params, key) === undefined &&
        own(batchParameters, key) === undefined,
    );
  checkValues('templateParameters', batchParameters);
  const batchMissing = missingRequired(undefined);
  for (const device of devices) {
    if (problems.length >= MAX_REPORTED) break;
    if (device.parameters) checkValues(`device ${device.serial}`, device.parameters);
    if (batchMissing.length === 0) continue;
    for (const [key] of missingRequired(device.parameters))
      problems.push(`device ${device.serial}: missing required parameter ${key}`);
  }
  if (problems.length > 0) {
    throw new AppError('TEMPLATE_PARAMETERS_INVALID', problems.slice(0, MAX_REPORTED).join('; '), {
      problems: problems.slice(0, MAX_REPORTED),
    });
  }
}
