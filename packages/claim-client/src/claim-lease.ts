import type { ClaimConnection } from './claim-connection.js';
import type { CertificateResult, PayloadFormat, RegisterThingResult } from './types.js';

export type OperationOptions = { format?: PayloadFormat };

/**
 * Exclusive use of one claim connection for one flow (create, then register). Call `release()` in a
 * `finally`; after it, the lease refuses further operations. Operations on one lease run one at a time.
 */
export class ClaimLease {
  readonly #connection: ClaimConnection;
  readonly #format: PayloadFormat;
  readonly #onRelease: (connection: ClaimConnection) => void;
  #released = false;

  constructor(
    connection: ClaimConnection,
    format: PayloadFormat,
    onRelease: (connection: ClaimConnection) => void,
  ) {
    this.#connection = connection;
    this.#format = format;
    this.#onRelease = onRelease;
  }

  get clientId(): string {
    return this.#connection.clientId;
  }

  createKeysAndCertificate(options: OperationOptions = {}): Promise<CertificateResult> {
    return this.#live().createKeysAndCertificate(options.format ?? this.#format);
  }

  createCertificateFromCsr(csrPem: string, options: OperationOptions = {}): Promise<CertificateResult> {
    return this.#live().createCertificateFromCsr(csrPem, options.format ?? this.#format);
  }

  registerThing(
    templateName: string,
    ownershipToken: string,
    parameters: Record<string, string>,
    options: OperationOptions = {},
  ): Promise<RegisterThingResult> {
    return this.#live().registerThing(
      templateName,
      ownershipToken,
      parameters,
      options.format ?? this.#format,
    );
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this.#connection);
  }

  #live(): ClaimConnection {
    if (this.#released) throw new Error('claim lease already released');
    return this.#connection;
  }
}
