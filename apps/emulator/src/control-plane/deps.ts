import type { ProvisioningTemplate } from '@claimline/provisioning-template';
import type { RegistryStore } from '../registry/registry-store.js';

/** What the control plane reads and changes; the emulator wires it up. */
export type ControlPlaneDeps = {
  store: RegistryStore;
  templates: Map<string, ProvisioningTemplate>;
  /** When the templates were loaded: their creation date as DescribeProvisioningTemplate reports it. */
  templatesLoadedAt: Date;
  /** The MQTT endpoint DescribeEndpoint names. */
  mqttEndpoint(): { host: string; port: number };
  /** Closes the live connections of a certificate that stopped being ACTIVE. */
  disconnectCertificate(certificateId: string): void;
  /** Test fault: true when this call of `operation` is to be answered 429 ThrottlingException. */
  throttled?(operation: string): boolean;
};
