import { ACCOUNT_ARN } from '../aws-arns.js';
import type { Logger } from '@claimline/logger';
import type { Identity } from '../mqtt/policy.js';
import type { RegistryStore } from '../registry/registry-store.js';
import { parsePolicyDocument, type PolicyDocument } from './policy-document.js';
import { decide, type Decision, type IotAction } from './policy-evaluator.js';
import type { PolicyContext } from './policy-variables.js';

/** The emulated account's ARN prefix (the region and account the template engine reports too). */

/**
 * Decides CONNECT, PUBLISH, SUBSCRIBE and RECEIVE as AWS IoT does: the claim certificate by the claim
 * policy, a device certificate by the policies attached to it now (read from the registry on every
 * decision, so an attach or detach takes effect at once), with the thing resolved from the client id.
 */
export class PolicyAuthorizer {
  readonly #parsed = new Map<string, PolicyDocument | undefined>();

  constructor(
    private readonly store: RegistryStore,
    private readonly claimPolicy: PolicyDocument,
    private readonly logger: Logger,
  ) {}

  /** `resource` without the account prefix: `client/<id>`, `topic/<name>` or `topicfilter/<filter>`. */
  decide(identity: Identity, clientId: string, action: IotAction, resource: string): Decision {
    const documents =
      identity.kind === 'claim' ? [this.claimPolicy] : this.#devicePolicies(identity.certificateId);
    const context = this.#context(identity.certificateId, clientId);
    const decision = decide(documents, action, `${ACCOUNT_ARN}:${resource}`, context);
    if (decision !== 'allow')
      this.logger.debug({ clientId, action, resource, decision }, 'not authorized by policy');
    return decision;
  }

  #devicePolicies(certificateId: string): PolicyDocument[] {
    const names = this.store.certificates.get(certificateId)?.policyNames ?? [];
    return names.flatMap((name) => {
      const document = this.#document(name, this.store.policies.get(name)?.policyDocument);
      return document ? [document] : [];
    });
  }

  #document(name: string, text: string | undefined): PolicyDocument | undefined {
    if (text === undefined) return undefined;
    if (!this.#parsed.has(text)) {
      const parsed = parsePolicyDocument(text);
      if (!parsed.ok) this.logger.warn({ policyName: name, reason: parsed.reason }, 'policy ignored');
      this.#parsed.set(text, parsed.ok ? parsed.document : undefined);
    }
    return this.#parsed.get(text);
  }

  /** AWS resolves the thing from the client id, and only if the certificate is attached to it. */
  #context(certificateId: string, clientId: string): PolicyContext {
    const thing = this.store.things.get(clientId);
    if (!thing?.certificateIds.includes(certificateId)) return { clientId };
    return {
      clientId,
      thing: {
        thingName: thing.thingName,
        thingTypeName: thing.thingTypeName,
        attributes: thing.attributes,
      },
    };
  }
}
