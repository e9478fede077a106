import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { invalidRequest } from './iot-error.js';

/** One control-plane call as a handler sees it: decoded path labels, query, headers and raw body. */
export type OperationRequest = {
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
};

/** A route: method, Express path, and the handler that returns the JSON output (or throws IotError). */
export type Route = {
  method: 'get' | 'put' | 'post' | 'delete';
  path: string;
  operation: string;
  handle(request: OperationRequest): unknown;
};

/** The shapes of the model's members this subset checks (`@length`, `@pattern`, `@range`). */
export const members = {
  certificateId: z
    .string()
    .length(64)
    .regex(/^(0x)?[a-fA-F0-9]+$/),
  thingName: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[a-zA-Z0-9:_-]+$/),
  policyName: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w+=,.@-]+$/),
  templateName: z
    .string()
    .min(1)
    .max(36)
    .regex(/^[0-9A-Za-z_-]+$/),
  pageSize: z.coerce.number().int().min(1).max(250),
  marker: z
    .string()
    .max(1024)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/),
  boolean: z.enum(['true', 'false']).transform((value) => value === 'true'),
  version: z.coerce.number().int(),
  certificateStatus: z.enum([
    'ACTIVE',
    'INACTIVE',
    'REVOKED',
    'PENDING_TRANSFER',
    'REGISTER_INACTIVE',
    'PENDING_ACTIVATION',
  ]),
  thingPrincipalType: z.enum(['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING']),
};

/** Parses one member; a violation is AWS's `400 InvalidRequestException` "validation error". */
export function member<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  throw invalidRequest(
    `1 validation error detected: Value '${shown}' at '${name}' failed to satisfy constraint: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
  );
}

/** An optional query parameter; absent stays undefined. */
export function queryMember<T>(request: OperationRequest, schema: z.ZodType<T>, name: string): T | undefined {
  const value = request.query.get(name);
  return value === null ? undefined : member(schema, name, value);
}

/** A required member (label, header or body); absent is InvalidRequestException. */
export function requiredMember<T>(schema: z.ZodType<T>, name: string, value: unknown): T {
  if (value === undefined || value === null) throw invalidRequest(`${name} is required`);
  return member(schema, name, value);
}

/** The JSON body of the two operations that have one (CreatePolicy, DetachPolicy). */
export function jsonBody(request: OperationRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw invalidRequest('the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidRequest('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** The `x-amzn-principal` header of the principal operations. */
export const principalHeader = (request: OperationRequest): string => {
  const value = request.headers['x-amzn-principal'];
  return requiredMember(z.string().min(1), 'principal', Array.isArray(value) ? value[0] : value);
};
