import type { ConditionOperator, PolicyDocument, PolicyStatement } from './policy-document.js';
import { compilePattern, contextValue, type PolicyContext } from './policy-variables.js';

export type IotAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive';

/** `explicit-deny` and `implicit-deny` both refuse; they are told apart for logs and tests. */
export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const anyMatches = (patterns: string[], value: string, context: PolicyContext, ignoreCase = false) =>
  patterns.some((pattern) => {
    const regex = compilePattern(ignoreCase ? pattern.toLowerCase() : pattern, context);
    return regex?.test(ignoreCase ? value.toLowerCase() : value) ?? false;
  });

function conditionHolds(
  operator: ConditionOperator,
  key: string,
  expected: string[],
  context: PolicyContext,
): boolean {
  const actual = contextValue(key, context);
  const negated = operator === 'StringNotEquals' || operator === 'StringNotLike';
  // IAM: a missing key fails a positive operator and satisfies a negated one.
  if (actual === undefined) return negated;
  switch (operator) {
    case 'Bool':
      return expected.some((value) => value.toLowerCase() === actual);
    case 'StringEquals':
      return expected.includes(actual);
    case 'StringNotEquals':
      return !expected.includes(actual);
    case 'StringLike':
      return anyMatches(expected, actual, context);
    case 'StringNotLike':
      return !anyMatches(expected, actual, context);
  }
}

function applies(
  statement: PolicyStatement,
  action: IotAction,
  resourceArn: string,
  context: PolicyContext,
): boolean {
  const actionMatches = statement.Action
    ? anyMatches(statement.Action, action, context, true)
    : !anyMatches(statement.NotAction ?? [], action, context, true);
  if (!actionMatches) return false;
  const resourceMatches = statement.Resource
    ? anyMatches(statement.Resource, resourceArn, context)
    : !anyMatches(statement.NotResource ?? [], resourceArn, context);
  if (!resourceMatches) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys ?? {}).every(([key, expected]) =>
      conditionHolds(operator as ConditionOperator, key, expected, context),
    ),
  );
}

/** IAM evaluation over every policy of a principal: an explicit Deny wins, then any Allow, else deny. */
export function decide(
  documents: PolicyDocument[],
  action: IotAction,
  resourceArn: string,
  context: PolicyContext,
): Decision {
  let allowed = false;
  for (const document of documents) {
    for (const statement of document.Statement) {
      if (!applies(statement, action, resourceArn, context)) continue;
      if (statement.Effect === 'Deny') return 'explicit-deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit-deny';
}
