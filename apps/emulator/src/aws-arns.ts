import { EMULATED_ACCOUNT_ID, EMULATED_REGION } from '@claimline/provisioning-template';

export { EMULATED_ACCOUNT_ID, EMULATED_REGION };

/** `arn:aws:iot:<region>:<account>`: the emulated account, as its ARNs and policy resources spell it. */
export const ACCOUNT_ARN = `arn:aws:iot:${EMULATED_REGION}:${EMULATED_ACCOUNT_ID}`;
const PREFIX = `${ACCOUNT_ARN}:`;

/** ARNs of the emulated account's resources, spelled as AWS IoT spells them. */
export const arns = {
  certificate: (certificateId: string) => `${PREFIX}cert/${certificateId}`,
  thing: (thingName: string) => `${PREFIX}thing/${thingName}`,
  policy: (policyName: string) => `${PREFIX}policy/${policyName}`,
  provisioningTemplate: (templateName: string) => `${PREFIX}provisioningtemplate/${templateName}`,
};

/** The certificate id of `arn:aws:iot:<our region>:<our account>:cert/<id>`, else undefined. */
export function certificateIdOfArn(arn: string): string | undefined {
  if (!arn.startsWith(`${PREFIX}cert/`)) return undefined;
  const id = arn.slice(`${PREFIX}cert/`.length);
  return /^[0-9a-f]{64}$/.test(id) ? id : undefined;
}
