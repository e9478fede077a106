import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { ApiRoute, ResponseSpec } from '../http/route.js';
import { problemSchema } from '../schemas/common.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const PROBLEM = 'application/problem+json';

function problem(description: string): ResponseSpec {
  return { description, schema: problemSchema, contentType: PROBLEM };
}

/** Error responses every route of a kind can give; the codes come from errors/codes.ts. */
function errorResponses(route: ApiRoute): Record<number, ResponseSpec> {
  const errors: Record<number, ResponseSpec> = {
    // Node's HTTP parser refuses an oversized request line or headers on any route (answerClientErrors).
    431: problem('HEADERS_TOO_LARGE: the request line or headers are over the limit'),
  };
  if (route.roles !== 'public') {
    errors[401] = problem('UNAUTHENTICATED: missing, malformed, unknown or revoked key');
    errors[403] = problem('FORBIDDEN: the key role may not call this');
    errors[429] = problem('RATE_LIMITED');
  }
  if (route.params || route.query || route.body)
    errors[400] = problem('VALIDATION_FAILED, MALFORMED_JSON, DUPLICATE_SERIALS, INVALID_CURSOR');
  if (route.params) errors[404] = problem('BATCH_NOT_FOUND / DEVICE_NOT_FOUND');
  if (route.method === 'post' && route.roles !== 'public') errors[409] = problem('Conflict: see the code');
  if (route.body) {
    errors[413] = problem('PAYLOAD_TOO_LARGE');
    errors[415] = problem('UNSUPPORTED_MEDIA_TYPE');
    errors[422] = problem('UNKNOWN_TEMPLATE, TEMPLATE_PARAMETERS_INVALID, BATCH_TOO_LARGE');
  }
  errors[500] = problem('INTERNAL');
  return errors;
}

/** The OpenAPI 3.1 document, generated from the very route objects the app mounts. */
export function buildOpenApiDocument(routes: readonly ApiRoute[]): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.register('Problem', problemSchema);
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'API key `cl_<prefix>_<secret>`',
  });
  for (const route of routes) {
    const responses = Object.fromEntries(
      Object.entries({ ...errorResponses(route), ...route.responses }).map(([status, spec]) => [
        status,
        {
          description: spec.description,
          ...(spec.schema
            ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } }
            : {}),
        },
      ]),
    );
    registry.registerPath({
      method: route.method,
      path: route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(route.roles === 'public'
        ? { security: [] }
        : { security: [{ [bearer.name]: [] }], description: `Roles: ${route.roles.join(', ')}` }),
      request: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.headers ? { headers: route.headers } : {}),
        ...(route.body
          ? { body: { required: true, content: { 'application/json': { schema: route.body } } } }
          : {}),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'claimline API',
      version: '1.0.0',
      description: 'Batch provisioning of IoT devices into AWS IoT Core',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
  });
}
