/** Payload encoding of the fleet-provisioning topics: `json` through the SDK's identity client, `cbor` raw. */
export type PayloadFormat = 'json' | 'cbor';

export type CertificateResult = {
  certificateId: string;
  certificatePem: string;
  /** Only from CreateKeysAndCertificate (AWS generated the key). */
  privateKey?: string;
  certificateOwnershipToken: string;
};

export type RegisterThingResult = {
  thingName: string;
  deviceConfiguration: Record<string, string>;
};

export type ClaimEndpoint = {
  host: string;
  /** 8883, or 443 (TLS with ALPN `x-amzn-mqtt-ca`). */
  port: number;
  /** PEM of the CA that signed the endpoint's certificate (Amazon Root CA 1 for AWS). */
  caPath: string;
  claimCertPath: string;
  claimKeyPath: string;
};

export type ClaimPoolOptions = ClaimEndpoint & {
  /** Number of connections; each runs one flow at a time. */
  size: number;
  /** Client ids are `${clientIdPrefix}-${hostname}-${pid}-${n}`. */
  clientIdPrefix: string;
  /** Time-out of one operation (request → accepted/rejected). */
  operationTimeoutMs: number;
  /** Default time-out of `acquire()`. */
  acquireTimeoutMs?: number;
  /** Default payload format of the lease operations. */
  format?: PayloadFormat;
  /** Reconnect back-off: first delay, cap (never below 1 s between CONNECTs of one client id). */
  reconnectMinDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Overrides the host name part of the client ids (tests). */
  hostname?: string;
};

export type PoolCounts = {
  size: number;
  /** Connections connected and usable. */
  up: number;
  /** Connections leased to a flow. */
  busy: number;
  /** `acquire()` calls waiting for a connection. */
  waiting: number;
};
