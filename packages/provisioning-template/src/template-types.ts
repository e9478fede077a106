export type TemplateParameter = { Type?: string; Default?: unknown };

export type TemplateResource = {
  Type: string;
  Properties?: Record<string, unknown>;
  OverrideSettings?: Record<string, string>;
};

export type ProvisioningTemplate = {
  name: string;
  Parameters: Record<string, TemplateParameter>;
  Mappings: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<string, TemplateResource>;
  DeviceConfiguration: Record<string, unknown>;
  /** Pre-provisioning hook; TargetArn here is an http(s) URL. */
  hookUrl?: string;
};

export const RESOURCE_TYPES = ['AWS::IoT::Thing', 'AWS::IoT::Certificate', 'AWS::IoT::Policy'] as const;
export const OVERRIDE_ACTIONS = ['DO_NOTHING', 'REPLACE', 'FAIL', 'MERGE'] as const;
export type OverrideAction = (typeof OVERRIDE_ACTIONS)[number];
