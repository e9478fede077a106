import type { Logger } from '@claimline/logger';
import type { QuotaLimiter } from '../limits/quotas.js';
import type { TokenBucket } from '../limits/token-bucket.js';
import type { PolicyAuthorizer } from '../policy/policy-authorizer.js';
import type { IotAction } from '../policy/policy-evaluator.js';
import type { RegistryStore } from '../registry/registry-store.js';
import {
  DISCONNECT_TAKEN_OVER,
  type ConnectRefusal,
  type MqttSession,
  type SessionHost,
} from './mqtt-session.js';

export type RequestHandler = (session: MqttSession, topic: string, payload: Buffer) => void;

/**
 * The connections of the emulated account: admits CONNECTs (certificate status, policy, quotas,
 * client-id takeover), hands `$aws/` requests to the provisioning router and fans ordinary topics out like a broker.
 */
export class Broker implements SessionHost {
  readonly #byClientId = new Map<string, MqttSession>();

  constructor(
    private readonly store: RegistryStore,
    private readonly quotas: QuotaLimiter,
    private readonly onRequest: RequestHandler,
    private readonly authorizer: PolicyAuthorizer,
    private readonly logger: Logger,
  ) {}

  admit(session: MqttSession): ConnectRefusal | undefined {
    const identity = session.identity;
    if (!identity) return 'not-authorized';
    if (
      identity.kind === 'device' &&
      this.store.certificates.get(identity.certificateId)?.status !== 'ACTIVE'
    )
      return 'not-authorized';
    if (!this.authorize(session, 'iot:Connect', `client/${session.clientId}`)) return 'not-authorized';
    this.store.count('Connect');
    if (!this.quotas.allowConnect(session.clientId)) return 'rate-exceeded';
    const previous = this.#byClientId.get(session.clientId);
    this.#byClientId.set(session.clientId, session);
    previous?.close('client id taken over', DISCONNECT_TAKEN_OVER);
    this.logger.debug({ clientId: session.clientId, kind: identity.kind }, 'connected');
    return undefined;
  }

  onPublish(session: MqttSession, topic: string, payload: Buffer): void {
    if (topic.startsWith('$aws/')) return this.onRequest(session, topic, payload);
    for (const other of this.#byClientId.values()) other.deliver(topic, payload);
  }

  authorize(session: MqttSession, action: IotAction, resource: string): boolean {
    if (!session.identity) return false;
    return this.authorizer.decide(session.identity, session.clientId, action, resource) === 'allow';
  }

  onClose(session: MqttSession): void {
    if (this.#byClientId.get(session.clientId) === session) this.#byClientId.delete(session.clientId);
  }

  publishBucket(): TokenBucket {
    return this.quotas.publishBucket();
  }

  /** Closes every connection authenticated with a certificate (after a revoke). */
  disconnectCertificate(certificateId: string): void {
    for (const session of [...this.#byClientId.values()]) {
      if (session.identity?.certificateId === certificateId) session.close('certificate revoked', 0x87);
    }
  }

  closeAll(): void {
    for (const session of [...this.#byClientId.values()]) session.close('emulator stopping', 0x8b);
  }
}
