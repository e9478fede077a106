import { randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import * as mqtt from 'mqtt-packet';
import type { Logger } from '@claimline/logger';
import type { TokenBucket } from '../limits/token-bucket.js';
import type { IotAction } from '../policy/policy-evaluator.js';
import type { Identity } from './policy.js';
import { isValidFilter, topicMatches } from './topic-match.js';

/** Why a CONNECT was refused; mapped to 3.1.1 return codes and MQTT 5 reason codes. */
export type ConnectRefusal = 'not-authorized' | 'rate-exceeded' | 'bad-client-id';

export type SessionHost = {
  /** Decides whether a CONNECT is accepted; registers the session (and takes over its client id) if so. */
  admit(session: MqttSession): ConnectRefusal | undefined;
  onPublish(session: MqttSession, topic: string, payload: Buffer): void;
  onClose(session: MqttSession): void;
  publishBucket(): TokenBucket;
  /** Whether the session's policies allow `action` on `resource` (`topic/…`, `topicfilter/…`). */
  authorize(session: MqttSession, action: IotAction, resource: string): boolean;
};

const REFUSAL_CODES: Record<ConnectRefusal, { v4: number; v5: number }> = {
  'not-authorized': { v4: 5, v5: 0x87 },
  'rate-exceeded': { v4: 3, v5: 0x9f },
  'bad-client-id': { v4: 2, v5: 0x85 },
};

export const DISCONNECT_TAKEN_OVER = 0x8e;
/** MQTT 5 reason code 0x87 Not authorized (CONNACK, PUBACK, SUBACK, DISCONNECT). */
export const DISCONNECT_NOT_AUTHORIZED = 0x87;

/** One client connection: parses packets, enforces its identity's policy, keeps its subscriptions. */
export class MqttSession {
  clientId = '';
  protocolVersion = 4;
  readonly subscriptions = new Map<string, 0 | 1>();
  #connected = false;
  #closed = false;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #keepAliveMs = 0;
  #nextMessageId = 1;
  #aliases = new Map<number, string>();
  #publishBucket: TokenBucket;
  readonly #parser = mqtt.parser();

  constructor(
    readonly socket: TLSSocket,
    readonly identity: Identity | undefined,
    private readonly host: SessionHost,
    private readonly logger: Logger,
  ) {
    this.#publishBucket = host.publishBucket();
    this.#parser.on('packet', (packet) => this.#onPacket(packet));
    this.#parser.on('error', (error) => this.close(`protocol error: ${error.message}`));
    socket.on('data', (chunk: Buffer) => this.#parser.parse(chunk));
    socket.on('error', () => this.close('socket error'));
    socket.on('close', () => this.close('socket closed'));
  }

  get open(): boolean {
    return this.#connected && !this.#closed;
  }

  /** Sends a PUBLISH if one of this session's subscriptions matches; returns whether it did. */
  deliver(topic: string, payload: Buffer): boolean {
    if (!this.open) return false;
    let qos: 0 | 1 | undefined;
    for (const [filter, granted] of this.subscriptions) {
      if (topicMatches(filter, topic)) qos = Math.max(qos ?? 0, granted) as 0 | 1;
    }
    if (qos === undefined) return false;
    // AWS checks iot:Receive at each delivery; a denied message is silently not sent.
    if (!this.host.authorize(this, 'iot:Receive', `topic/${topic}`)) return false;
    const messageId = qos === 1 ? this.#messageId() : undefined;
    this.#send({ cmd: 'publish', topic, payload, qos, retain: false, dup: false, messageId });
    return true;
  }

  /** Closes the connection; an MQTT 5 client is first told why. Idempotent. */
  close(reason: string, disconnectReasonCode?: number): void {
    if (this.#closed) return;
    if (this.#connected && this.protocolVersion === 5 && disconnectReasonCode !== undefined) {
      this.#send({ cmd: 'disconnect', reasonCode: disconnectReasonCode });
    }
    this.#closed = true;
    clearTimeout(this.#keepAliveTimer);
    this.logger.debug({ clientId: this.clientId, reason }, 'connection closed');
    this.socket.end();
    this.socket.destroy();
    if (this.#connected) this.host.onClose(this);
  }

  #messageId(): number {
    const id = this.#nextMessageId;
    this.#nextMessageId = id >= 65535 ? 1 : id + 1;
    return id;
  }

  #send(packet: mqtt.Packet): void {
    if (this.#closed || this.socket.destroyed) return;
    this.socket.write(mqtt.generate(packet, { protocolVersion: this.protocolVersion }));
  }

  #touch(): void {
    if (this.#keepAliveMs === 0) return;
    clearTimeout(this.#keepAliveTimer);
    this.#keepAliveTimer = setTimeout(() => this.close('keepalive timeout'), this.#keepAliveMs);
    this.#keepAliveTimer.unref();
  }

  #onPacket(packet: mqtt.Packet): void {
    if (this.#closed) return;
    this.#touch();
    if (!this.#connected && packet.cmd !== 'connect') return this.close('first packet was not CONNECT');
    switch (packet.cmd) {
      case 'connect':
        return this.#onConnect(packet);
      case 'publish':
        return this.#onPublish(packet);
      case 'subscribe':
        return this.#onSubscribe(packet);
      case 'unsubscribe':
        for (const filter of packet.unsubscriptions) this.subscriptions.delete(filter);
        return this.#send({
          cmd: 'unsuback',
          messageId: packet.messageId,
          ...(this.protocolVersion === 5 ? { granted: packet.unsubscriptions.map(() => 0) } : {}),
        } as mqtt.IUnsubackPacket);
      case 'pingreq':
        return this.#send({ cmd: 'pingresp' });
      case 'disconnect':
        return this.close('client disconnected');
      case 'puback':
        return; // QoS 1 deliveries are fire-and-forget here: no retransmission store.
      default:
        return this.close(`unsupported packet ${packet.cmd}`);
    }
  }

  #onConnect(packet: mqtt.IConnectPacket): void {
    if (this.#connected) return this.close('second CONNECT');
    this.protocolVersion = packet.protocolVersion ?? 4;
    const assigned = packet.clientId === '' ? `emulator-${randomBytes(8).toString('hex')}` : undefined;
    this.clientId = assigned ?? packet.clientId;
    this.#keepAliveMs = (packet.keepalive ?? 0) * 1500;
    // MQTT 3.1.1 §3.1.3.1: an empty client id is only allowed with a clean session.
    const refusal =
      packet.clientId === '' && this.protocolVersion !== 5 && !packet.clean
        ? 'bad-client-id'
        : this.identity
          ? this.host.admit(this)
          : 'not-authorized';
    if (refusal) {
      const code = REFUSAL_CODES[refusal];
      this.#send(
        this.protocolVersion === 5
          ? { cmd: 'connack', sessionPresent: false, reasonCode: code.v5 }
          : { cmd: 'connack', sessionPresent: false, returnCode: code.v4 },
      );
      this.#connected = false;
      this.#closed = true;
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 100).unref();
      return;
    }
    this.#connected = true;
    this.#touch();
    if (this.protocolVersion === 5) {
      this.#send({
        cmd: 'connack',
        sessionPresent: false,
        reasonCode: 0,
        properties: {
          maximumQoS: 1,
          retainAvailable: false,
          sharedSubscriptionAvailable: false,
          ...(assigned ? { assignedClientIdentifier: assigned } : {}),
        },
      });
    } else {
      this.#send({ cmd: 'connack', sessionPresent: false, returnCode: 0 });
    }
  }

  #onPublish(packet: mqtt.IPublishPacket): void {
    let topic = packet.topic;
    const alias = packet.properties?.topicAlias;
    if (alias !== undefined) {
      if (topic) this.#aliases.set(alias, topic);
      else topic = this.#aliases.get(alias) ?? '';
    }
    if (packet.qos === 2) return this.close('QoS 2 is not supported', 0x9b);
    if (!this.host.authorize(this, 'iot:Publish', `topic/${topic}`))
      return this.#publishDenied(packet, topic);
    if (packet.qos === 1)
      this.#send({
        cmd: 'puback',
        messageId: packet.messageId,
        ...(this.protocolVersion === 5 ? { reasonCode: 0 } : {}),
      });
    if (!this.#publishBucket.take()) {
      this.logger.warn({ clientId: this.clientId, topic }, 'publish over the per-connection quota dropped');
      return;
    }
    this.host.onPublish(
      this,
      topic,
      Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
    );
  }

  /**
   * AWS: a denied PUBLISH closes an MQTT 3.1.1 connection (there is no way to say why); MQTT 5 answers
   * a QoS 1 PUBLISH with PUBACK 0x87 (Not authorized) and keeps the connection. A denied QoS 0 MQTT 5
   * PUBLISH has nothing to answer with and is dropped.
   */
  #publishDenied(packet: mqtt.IPublishPacket, topic: string): void {
    if (this.protocolVersion !== 5) return this.close(`publish to ${topic} not authorized`);
    this.logger.debug({ clientId: this.clientId, topic }, 'publish not authorized');
    if (packet.qos === 1)
      this.#send({ cmd: 'puback', messageId: packet.messageId, reasonCode: DISCONNECT_NOT_AUTHORIZED });
  }

  #onSubscribe(packet: mqtt.ISubscribePacket): void {
    const failure = this.protocolVersion === 5 ? DISCONNECT_NOT_AUTHORIZED : 0x80;
    const granted = packet.subscriptions.map(({ topic, qos }) => {
      if (!isValidFilter(topic)) return this.protocolVersion === 5 ? 0x8f : 0x80;
      if (!this.host.authorize(this, 'iot:Subscribe', `topicfilter/${topic}`)) return failure;
      const grantedQos = (qos >= 1 ? 1 : 0) as 0 | 1;
      this.subscriptions.set(topic, grantedQos);
      return grantedQos;
    });
    this.#send({ cmd: 'suback', messageId: packet.messageId, granted });
  }
}
