import { io, iot, mqtt5 } from 'aws-crt';
import { iotidentity } from 'aws-iot-device-sdk-v2';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import type { Logger } from '@claimline/logger';
import { MIN_CONNECT_INTERVAL_MS, reconnectDelayMs } from './backoff.js';
import { ClaimConnectionError, ClaimRejectedError, ClaimTimeoutError, type ClaimError } from './errors.js';
import { toClaimError } from './sdk-errors.js';
import { stopClient } from './stop-client.js';
import { parseCertificateResult, parseRegisterThingResult } from './responses.js';
import { TEMPLATE_NAME, topics } from './topics.js';
import type { CertificateResult, ClaimEndpoint, PayloadFormat, RegisterThingResult } from './types.js';

export type ConnectionState = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

export type ClaimConnectionOptions = ClaimEndpoint & {
  clientId: string;
  operationTimeoutMs: number;
  reconnectMinDelayMs: number;
  reconnectMaxDelayMs: number;
  logger: Logger;
  /** Called whenever the state changes (the pool hands out connections that became usable). */
  onChange: () => void;
};

/** One MQTT session: the native client, its identity client and the CBOR topics it subscribed to. */
type Session = {
  client: mqtt5.Mqtt5Client;
  identity: iotidentity.IotIdentityClientv2;
  cborSubscriptions: Set<string>;
  ended: boolean;
};

type InFlight = {
  operation: string;
  fail(error: ClaimError): void;
  onMessage?(topic: string, payload: Buffer): void;
};

/**
 * One long-lived claim connection with its own client id, running one operation at a time.
 *
 * Why one flow at a time: AWS's provisioning answers carry no correlation token, so whoever is
 * subscribed to `…/accepted` on a connection reads the next answer. With one caller per connection the
 * next answer is, by construction, the answer to the request in flight.
 *
 * Why a time-out or a connection-level failure recycles the whole connection (new MQTT session, same
 * client id): the request may still be answered later, and that late answer would arrive on this
 * connection's `…/accepted` subscription and be taken as the answer to the NEXT flow's request:
 * another device's certificate and ownership token, or a thing registered for another serial. Closing
 * the session makes AWS drop the late answer (answers go only to the connection that asked), and the
 * fresh session starts with no subscriptions. A rejection, by contrast, is a complete answer: nothing is
 * pending, so the connection stays.
 */
export class ClaimConnection {
  readonly clientId: string;
  readonly #options: ClaimConnectionOptions;
  readonly #logger: Logger;
  #state: ConnectionState = 'idle';
  #session?: Session;
  #inFlight?: InFlight;
  #failures = 0;
  #lastConnectAt = Number.NEGATIVE_INFINITY;
  #reconnectTimer?: NodeJS.Timeout;
  #teardown: Promise<void> = Promise.resolve();

  constructor(options: ClaimConnectionOptions) {
    if (options.port === 443 && !io.is_alpn_available()) {
      throw new ClaimConnectionError(
        'connect',
        'port 443 needs TLS ALPN (x-amzn-mqtt-ca), which this platform lacks',
        { retryable: false },
      );
    }
    this.#options = options;
    this.clientId = options.clientId;
    this.#logger = options.logger.child({ clientId: options.clientId });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get isUp(): boolean {
    return this.#state === 'up';
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#open();
  }

  createKeysAndCertificate(format: PayloadFormat): Promise<CertificateResult> {
    const operation = 'CreateKeysAndCertificate';
    return this.#run(operation, [], parseCertificateResult, (session, inFlight) =>
      format === 'json'
        ? session.identity.createKeysAndCertificate({})
        : this.#cborRequest(session, inFlight, topics.createKeysAndCertificate('cbor'), {}),
    );
  }

  createCertificateFromCsr(csrPem: string, format: PayloadFormat): Promise<CertificateResult> {
    const operation = 'CreateCertificateFromCsr';
    const request = { certificateSigningRequest: csrPem };
    return this.#run(operation, [], parseCertificateResult, (session, inFlight) =>
      format === 'json'
        ? session.identity.createCertificateFromCsr(request)
        : this.#cborRequest(session, inFlight, topics.createCertificateFromCsr('cbor'), request),
    );
  }

  registerThing(
    templateName: string,
    ownershipToken: string,
    parameters: Record<string, string>,
    format: PayloadFormat,
  ): Promise<RegisterThingResult> {
    if (!TEMPLATE_NAME.test(templateName)) {
      return Promise.reject(
        new RangeError(
          `invalid provisioning template name ${JSON.stringify(templateName)} (1-36 of [0-9A-Za-z_-])`,
        ),
      );
    }
    const operation = 'RegisterThing';
    const request = { certificateOwnershipToken: ownershipToken, parameters };
    return this.#run(operation, [ownershipToken], parseRegisterThingResult, (session, inFlight) =>
      format === 'json'
        ? session.identity.registerThing({ templateName, ...request })
        : this.#cborRequest(session, inFlight, topics.registerThing(templateName, 'cbor'), request),
    );
  }

  /** Stops the client (awaiting its `stopped` event) and frees its native resources. */
  async close(): Promise<void> {
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      clearTimeout(this.#reconnectTimer);
      if (this.#session) this.#endSession(this.#session, 'connection closed');
    }
    await this.#teardown;
  }

  /**
   * Runs one operation with a time-out. The SDK's promise always gets a handler, also after the
   * time-out settled the caller's promise: an unhandled rejection when the session closes would crash
   * the process.
   */
  #run<T>(
    operation: string,
    secrets: readonly string[],
    parse: (operation: string, raw: unknown) => T,
    work: (session: Session, inFlight: InFlight) => Promise<unknown>,
  ): Promise<T> {
    const session = this.#session;
    if (this.#state !== 'up' || !session) {
      return Promise.reject(
        new ClaimConnectionError(operation, `connection ${this.clientId} is not connected`),
      );
    }
    if (this.#inFlight) {
      return Promise.reject(
        new Error(
          `${operation}: ${this.#inFlight.operation} is still running on ${this.clientId}; one operation at a time`,
        ),
      );
    }
    const timeoutMs = this.#options.operationTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const settle = (error: unknown, value?: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.#inFlight === inFlight) this.#inFlight = undefined;
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      const inFlight: InFlight = { operation, fail: (error) => settle(error) };
      this.#inFlight = inFlight;
      const timer = setTimeout(() => {
        settle(new ClaimTimeoutError(operation, timeoutMs));
        this.#endSession(
          session,
          `${operation} timed out; recycling so that a late answer cannot reach the next flow`,
        );
      }, timeoutMs);
      let pending: Promise<unknown>;
      try {
        pending = work(session, inFlight);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (raw) => {
          try {
            settle(undefined, parse(operation, raw));
          } catch (error) {
            settle(error);
          }
        },
        (error: unknown) => {
          const claimError = toClaimError(operation, error, secrets, timeoutMs);
          if (!(claimError instanceof ClaimRejectedError))
            this.#endSession(session, `${operation} failed at the connection level`);
          settle(claimError);
        },
      );
    });
  }

  /**
   * CBOR goes through the SDK's MQTT5 client directly (IotIdentityClientv2 models JSON only).
   * Subscriptions are kept for the session's life instead of unsubscribing after each request: a
   * SUBSCRIBE costs a round trip (~40 ms here, the SDK never sets TCP_NODELAY), the set is bounded
   * (two filters per operation and template, well under AWS's 50 per connection), and a session that
   * could hold a stale answer is recycled anyway, which drops its subscriptions with it.
   */
  async #cborRequest(session: Session, inFlight: InFlight, topic: string, body: unknown): Promise<unknown> {
    if (!session.cborSubscriptions.has(topic)) {
      const suback = await session.client.subscribe({
        subscriptions: [
          { topicFilter: `${topic}/accepted`, qos: mqtt5.QoS.AtLeastOnce },
          { topicFilter: `${topic}/rejected`, qos: mqtt5.QoS.AtLeastOnce },
        ],
      });
      const refused = suback.reasonCodes.filter((code) => code >= 0x80);
      if (refused.length > 0) {
        throw new ClaimConnectionError(
          inFlight.operation,
          `subscription to ${topic}/accepted|rejected refused (reason ${refused.join(', ')}); check the claim policy`,
          {
            retryable: false,
          },
        );
      }
      session.cborSubscriptions.add(topic);
    }
    return new Promise<unknown>((resolve, reject) => {
      inFlight.onMessage = (received, payload) => {
        if (received !== `${topic}/accepted` && received !== `${topic}/rejected`) return;
        inFlight.onMessage = undefined;
        let decoded: unknown;
        try {
          decoded = cborDecode(payload);
        } catch {
          reject(new ClaimConnectionError(inFlight.operation, 'answer is not valid CBOR'));
          return;
        }
        if (received.endsWith('/accepted')) resolve(decoded);
        else reject({ modeledError: decoded });
      };
      session.client
        .publish({ topicName: topic, qos: mqtt5.QoS.AtLeastOnce, payload: cborEncode(body) })
        .then((result) => {
          const reasonCode = (result as mqtt5.PubackPacket | undefined)?.reasonCode ?? 0;
          if (reasonCode >= 0x80)
            reject(
              new ClaimConnectionError(
                inFlight.operation,
                `publish refused (PUBACK reason ${reasonCode}); check the claim policy`,
                { retryable: false },
              ),
            );
        }, reject);
    });
  }

  #open(): void {
    if (this.#state === 'closed') return;
    this.#state = 'connecting';
    this.#lastConnectAt = Date.now();
    let session: Session;
    try {
      const client = new mqtt5.Mqtt5Client(this.#clientConfig());
      const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(client, {
        maxRequestResponseSubscriptions: 6,
        maxStreamingSubscriptions: 1,
        // Ours fires first; the SDK's own is a backstop, so that its request state is freed.
        operationTimeoutInSeconds: Math.ceil(this.#options.operationTimeoutMs / 1000) + 1,
      });
      session = { client, identity, cborSubscriptions: new Set(), ended: false };
    } catch (error) {
      this.#logger.error({ err: error }, 'claim connection could not be created');
      this.#state = 'down';
      this.#scheduleReconnect();
      return;
    }
    this.#session = session;
    const { client } = session;
    client.on('connectionSuccess', () => {
      if (session.ended) return;
      this.#failures = 0;
      this.#state = 'up';
      this.#logger.debug('claim connection up');
      this.#options.onChange();
    });
    client.on('connectionFailure', (event: mqtt5.ConnectionFailureEvent) => {
      this.#endSession(session, `connection failed: ${String(event.error)}`);
    });
    client.on('disconnection', (event: mqtt5.DisconnectionEvent) => {
      this.#endSession(session, `disconnected: ${String(event.error)}`);
    });
    client.on('messageReceived', (event: mqtt5.MessageReceivedEvent) => {
      if (session.ended || !this.#inFlight?.onMessage) return;
      const payload = event.message.payload;
      this.#inFlight.onMessage(
        event.message.topicName,
        payload instanceof ArrayBuffer ? Buffer.from(payload) : Buffer.from(String(payload ?? '')),
      );
    });
    client.on('error', (error) => this.#logger.warn({ err: error }, 'claim connection error'));
    client.start();
  }

  #clientConfig(): mqtt5.Mqtt5ClientConfig {
    const { host, port, caPath, claimCertPath, claimKeyPath } = this.#options;
    // Reads the files on every (re)connect, so a replaced claim certificate is picked up. The builder
    // puts `x-amzn-mqtt-ca` first in the ALPN list: required on 443, harmless on 8883.
    const builder = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(
      host,
      claimCertPath,
      claimKeyPath,
    );
    builder.withPort(port);
    builder.withCertificateAuthorityFromPath(undefined, caPath);
    builder.withConnectProperties({ clientId: this.clientId, keepAliveIntervalSeconds: 60 });
    builder.withSessionBehavior(mqtt5.ClientSessionBehavior.Clean);
    builder.withOfflineQueueBehavior(mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect);
    builder.withAckTimeoutSeconds(Math.ceil(this.#options.operationTimeoutMs / 1000));
    builder.withConnackTimeoutMs(this.#options.operationTimeoutMs);
    // We stop the client on the first failure and reconnect ourselves; should the SDK still retry
    // before stop() lands, its decorrelated jitter never goes below 1 s between CONNECTs either.
    builder.withRetryJitterMode(mqtt5.RetryJitterType.Decorrelated);
    builder.withMinReconnectDelayMs(Math.max(MIN_CONNECT_INTERVAL_MS, this.#options.reconnectMinDelayMs));
    builder.withMaxReconnectDelayMs(Math.max(MIN_CONNECT_INTERVAL_MS, this.#options.reconnectMaxDelayMs));
    return builder.build();
  }

  /** Fails the operation in flight, stops the session's client and schedules a new session. */
  #endSession(session: Session, reason: string): void {
    if (session.ended) return;
    session.ended = true;
    if (this.#session === session) this.#session = undefined;
    const closing = this.#state === 'closed';
    if (!closing) {
      this.#state = 'down';
      this.#failures += 1;
      this.#logger.warn({ reason }, 'claim connection down');
    }
    this.#inFlight?.fail(
      new ClaimConnectionError(this.#inFlight.operation, closing ? 'claim client is closing' : reason),
    );
    this.#options.onChange();
    const previous = this.#teardown;
    this.#teardown = previous.then(() => stopSession(session, this.#logger));
    if (!closing) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    // Wait for the old client to have stopped, so two sessions of one client id never overlap.
    void this.#teardown.then(() => {
      if (this.#state === 'closed') return;
      const delay = reconnectDelayMs(this.#failures, Date.now() - this.#lastConnectAt, {
        minDelayMs: this.#options.reconnectMinDelayMs,
        maxDelayMs: this.#options.reconnectMaxDelayMs,
      });
      this.#logger.debug(
        { delayMs: delay, failures: this.#failures },
        'claim connection reconnect scheduled',
      );
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = setTimeout(() => this.#open(), delay);
    });
  }
}

/** identity.close(), then the client stopped and closed. Never throws. */
async function stopSession(session: Session, logger: Logger): Promise<void> {
  try {
    session.identity.close();
  } catch (error) {
    logger.warn({ err: error }, 'identity client close failed');
  }
  await stopClient(session.client, logger);
}
