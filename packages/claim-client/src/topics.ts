import type { PayloadFormat } from './types.js';

/** Request topics of the fleet-provisioning MQTT API; answers come on `<topic>/accepted` and `/rejected`. */
export const topics = {
  createKeysAndCertificate: (format: PayloadFormat) => `$aws/certificates/create/${format}`,
  createCertificateFromCsr: (format: PayloadFormat) => `$aws/certificates/create-from-csr/${format}`,
  registerThing: (templateName: string, format: PayloadFormat) =>
    `$aws/provisioning-templates/${templateName}/provision/${format}`,
};

/** AWS: 1–36 characters of [0-9A-Za-z_-]. Checked before the name goes into a topic. */
export const TEMPLATE_NAME = /^[0-9A-Za-z_-]{1,36}$/;
