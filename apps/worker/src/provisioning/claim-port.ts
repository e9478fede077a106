/**
 * What the provisioning service needs from AWS IoT: one claim session (a leased connection) per
 * flow. `claim-gateway.ts` implements it on @claimline/claim-client; the service never sees MQTT.
 */
export type PayloadFormat = 'json' | 'cbor';

export type IssuedCertificate = {
  certificateId: string;
  certificatePem: string;
  /** Present for CreateKeysAndCertificate (AWS made the key); absent for CSR. */
  privateKey?: string;
  certificateOwnershipToken: string;
};

export type RegisteredThing = { thingName: string; deviceConfiguration: Record<string, string> };

export type ClaimSession = {
  createKeysAndCertificate(format: PayloadFormat): Promise<IssuedCertificate>;
  createCertificateFromCsr(csrPem: string, format: PayloadFormat): Promise<IssuedCertificate>;
  registerThing(
    templateName: string,
    ownershipToken: string,
    parameters: Record<string, string>,
    format: PayloadFormat,
  ): Promise<RegisteredThing>;
};

export type KeyAlgorithm = 'ec-p256' | 'rsa-2048';

/** A device's own credentials, to connect once as its thing (the lost-answer probe). */
export type DeviceCredentials = { certificatePem: string; privateKeyPem: string; clientId: string };

/**
 * `connected` proves the certificate registered and allowed to connect as that client id. `refused`
 * (a CONNACK refusal) means the endpoint looked at it and said no; any other failure proves nothing.
 */
export type ConnectProbe = { connected: true } | { connected: false; refused: boolean; reason: string };

export type ClaimGateway = {
  withSession<T>(run: (session: ClaimSession) => Promise<T>): Promise<T>;
  generateKeyAndCsr(
    algorithm: KeyAlgorithm,
    commonName: string,
  ): Promise<{ privateKeyPem: string; csrPem: string }>;
  probeConnect(credentials: DeviceCredentials): Promise<ConnectProbe>;
};

/** A failure of a claim call, classified: AWS's own code where there is one. */
export type ClaimFailure = {
  code: string;
  message: string;
  retryable: boolean;
  statusCode?: number;
  throttled: boolean;
};
