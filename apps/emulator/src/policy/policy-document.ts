import { z } from 'zod';

/** The condition operators the emulator evaluates; any other is refused when a document is parsed. */
export const CONDITION_OPERATORS = [
  'Bool',
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

const oneOrMany = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((value) => (typeof value === 'string' ? [value] : value));

const conditionValues = z
  .union([z.string(), z.boolean(), z.array(z.union([z.string(), z.boolean()])).min(1)])
  .transform((value) => (Array.isArray(value) ? value : [value]).map(String));

const statementSchema = z
  .object({
    Sid: z.string().optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Action: oneOrMany.optional(),
    NotAction: oneOrMany.optional(),
    Resource: oneOrMany.optional(),
    NotResource: oneOrMany.optional(),
    Condition: z.partialRecord(z.enum(CONDITION_OPERATORS), z.record(z.string(), conditionValues)).optional(),
  })
  .strict()
  .refine((s) => (s.Action === undefined) !== (s.NotAction === undefined), {
    message: 'a statement needs exactly one of Action and NotAction',
  })
  .refine((s) => (s.Resource === undefined) !== (s.NotResource === undefined), {
    message: 'a statement needs exactly one of Resource and NotResource',
  });

const documentSchema = z
  .object({
    Version: z.enum(['2012-10-17', '2008-10-17']).optional(),
    Id: z.string().optional(),
    Statement: z
      .union([statementSchema, z.array(statementSchema).min(1)])
      .transform((value) => (Array.isArray(value) ? value : [value])),
  })
  .strict();

export type PolicyStatement = z.output<typeof statementSchema>;
export type PolicyDocument = z.output<typeof documentSchema>;

export type ParsedPolicy = { ok: true; document: PolicyDocument } | { ok: false; reason: string };

/**
 * Parses an AWS IoT policy document (JSON text). What AWS would refuse with MalformedPolicyException
 * is refused here too, and so is what the emulator cannot evaluate (an unknown condition operator),
 * so that no policy is ever silently kinder than at AWS.
 */
export function parsePolicyDocument(text: string): ParsedPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'policy document is not valid JSON' };
  }
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error) };
  return { ok: true, document: parsed.data };
}
