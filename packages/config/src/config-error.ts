export type ConfigIssue = { variable: string; problem: string };

/** Start-up fails with this: every bad or missing variable is named, none of their values is shown. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(scope: string, issues: ConfigIssue[]) {
    const lines = issues.map((issue) => `  ${issue.variable}: ${issue.problem}`);
    super(`Invalid ${scope} configuration:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
