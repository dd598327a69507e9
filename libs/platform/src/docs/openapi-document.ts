import { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { allowedRoles, ROLES_EXTENSION } from '../auth/roles.decorator';
import { describeRoutes, RouteRule } from '../security/route-rules';
import { FieldError, PROBLEM_CONTENT_TYPE, problem } from '../http/problem';

/** How a route is protected (see RouteRule). */
export type RouteAccess = RouteRule;

export const PROBLEM_SCHEMA = 'ProblemDetails';
export const REQUEST_ID_HEADER = 'x-request-id';
const PUBLIC_EXTENSION = 'x-kielto-public';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/**
 * The access of every controller method of the app, by the operationId @nestjs/swagger gives it
 * (`<Controller>_<method>`). A route without @Roles is admin-only (the guard closes it), so it is documented so.
 */
export function routeAccessByOperationId(app: INestApplication): Map<string, RouteAccess> {
  return new Map(describeRoutes(app).map((r) => [r.operationId, r.rule]));
}

const problemSchema: SchemaObject = {
  type: 'object',
  description:
    'RFC 9457 problem details: the body of every error response (content type application/problem+json). ' +
    '`requestId` equals the `x-request-id` response header and the id in the service logs.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri', example: 'https://kielto.fi/problems/validation' },
    title: { type: 'string', example: 'Bad Request' },
    status: { type: 'integer', minimum: 400, maximum: 599, example: 400 },
    detail: { type: 'string', example: 'Invalid request: channel' },
    instance: { type: 'string', description: 'The request path (without its query string)', example: '/v1/consents' },
    requestId: { type: 'string', example: '3f1c1b0e-8d9a-4e51-9a57-2b8f0a4d7c11' },
    errors: {
      type: 'array',
      description: 'Field errors of a rejected request (400/413/415/422); values are never echoed',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', example: 'channel' },
          message: {
            type: 'string',
            example: 'channel must be one of the following values: email, sms, phone, post, all',
          },
        },
      },
    },
  },
};

/** Problems the platform itself answers with, whatever the route does. */
const PLATFORM_PROBLEMS: Record<
  number,
  { description: string; detail: string; typeName?: string; error?: FieldError }
> = {
  400: {
    description: 'Invalid input: every bad field is named in `errors`; nothing was written',
    detail: 'Invalid request: channel',
    typeName: 'validation',
    error: { field: 'channel', message: 'channel must be one of the following values: email, sms, phone, post, all' },
  },
  401: {
    description: 'No valid API key or sign-in token (`Authorization: Bearer <key or token>`)',
    detail: 'A valid API key or sign-in token is required: Authorization: Bearer <key or token>',
  },
  403: {
    description: "The key's role may not call this operation",
    detail: 'The marketing role may not call this route',
  },
  413: {
    description: 'The request body is larger than the limit',
    detail: 'The request body is too large',
    error: { field: 'body', message: 'body exceeds the size limit' },
  },
  415: {
    description: 'The content type is not accepted by this operation',
    detail: 'Unsupported content type',
    error: { field: 'content-type', message: 'content-type is not accepted by this route' },
  },
  429: {
    description: 'Rate limit of the API key (or client address) exceeded; see `Retry-After`',
    detail: 'The rate limit of this API key is exceeded',
  },
  500: {
    description: 'Unexpected error (logged with the request id; no details are disclosed)',
    detail: 'Unexpected error',
  },
};

function problemResponse(status: number, description: string): ResponseObject {
  const spec = PLATFORM_PROBLEMS[status];
  const example = {
    ...problem(status, spec?.detail ?? description, spec?.typeName, spec?.error ? [spec.error] : undefined),
    instance: '/v1/…',
    requestId: '3f1c1b0e-8d9a-4e51-9a57-2b8f0a4d7c11',
  };
  const headers: ResponseObject['headers'] = { [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } };
  if (status === 429)
    headers['retry-after'] = { description: 'Seconds to wait before retrying', schema: { type: 'integer' } };
  return {
    description,
    headers,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` }, example } },
  } as ResponseObject;
}

const isReference = (value: object | undefined): boolean => value === undefined || '$ref' in value;

/**
 * Completes the generated document so that integrators never need the source: every operation states who may
 * call it (bearer security + `x-kielto-roles`, or `x-kielto-public`), and every error it can get from the
 * platform (400/401/403/413/415/429/500) is a documented problem+json response sharing one `ProblemDetails`
 * schema. Responses the app declared itself are kept; a declared 4xx/5xx without a body gets the problem body.
 */
export function completeOpenApiDocument(document: OpenAPIObject, access: Map<string, RouteAccess>): OpenAPIObject {
  const components = (document.components ??= {});
  components.schemas = { ...components.schemas, [PROBLEM_SCHEMA]: problemSchema };
  components.headers = {
    ...components.headers,
    RequestId: {
      description: 'The request id: the `X-Request-Id` the caller sent (1-64 of A-Z a-z 0-9 _ -) or a generated UUID',
      schema: { type: 'string' },
    },
  };
  document.info.description = [
    document.info.description ?? '',
    '',
    '**Authentication.** `Authorization: Bearer <API key>`; keys have one role: `admin`, `staff`, `dpo`, ' +
      '`marketing` or `partner`. Each operation lists the roles that may call it (`x-kielto-roles`; `admin` may call every ' +
      'authenticated operation). Missing or unknown key → 401, role not allowed → 403. Staff, dpo and admin may ' +
      "instead sign in as themselves: `Authorization: Bearer <JWT>` from the organisation's OpenID Connect " +
      'provider (KIELTO_OIDC_*), their roles mapped from a claim; an invalid or expired token → 401, a token ' +
      "without a mapped role → 403, and 503 (`identity-provider-unavailable`) while the provider's keys cannot be " +
      'fetched (API keys keep working).',
    '',
    '**Errors.** Every error is `application/problem+json` (RFC 9457, schema `ProblemDetails`) with the request ' +
      'id, which is also returned in the `x-request-id` header of every response. Send your own `X-Request-Id` to ' +
      'correlate calls with kielto logs.',
  ].join('\n');

  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (operation) completeOperation(operation, method, access.get(operation.operationId ?? ''));
    }
  }
  return document;
}

function completeOperation(
  operation: OperationObject,
  method: (typeof METHODS)[number],
  access: RouteAccess | undefined,
): void {
  const ext = operation as OperationObject & Record<string, unknown>;
  // An operation the app map does not know falls back to what the guard does with an undecorated route.
  const resolved: RouteAccess = access ?? { public: false, roles: [], auditReads: false };
  let who: string;
  if (resolved.public) {
    operation.security = [];
    ext[PUBLIC_EXTENSION] = true;
    ext[ROLES_EXTENSION] = [];
    who = resolved.signed
      ? '**Access:** no API key; authenticated by a signature header instead (401 without a valid one).'
      : '**Access:** public (no API key).';
  } else {
    const roles = allowedRoles(resolved.roles);
    operation.security = [{ bearer: [] }];
    ext[ROLES_EXTENSION] = roles;
    who = `**Roles:** ${roles.join(', ')}.`;
  }
  if (!operation.description?.includes(who)) {
    operation.description = operation.description ? `${operation.description}\n\n${who}` : who;
  }

  const responses = operation.responses;
  if (!Object.keys(responses).some((status) => /^2\d\d$/.test(status))) {
    responses[method === 'post' ? '201' : '200'] = { description: 'Success' };
  }
  const hasInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
  const statuses = [
    ...(hasInput ? [400] : []),
    ...(resolved.public ? (resolved.signed ? [401] : []) : [401, 403]),
    ...(operation.requestBody ? [413, 415] : []),
    429,
    500,
  ];
  for (const status of statuses) {
    const key = String(status);
    const description =
      status === 401 && resolved.public ? 'Missing or invalid signature header' : PLATFORM_PROBLEMS[status].description;
    if (!responses[key]) responses[key] = problemResponse(status, description);
  }
  // Declared error responses without a body (e.g. @ApiNotFoundResponse({ description })) get the problem body.
  for (const [key, response] of Object.entries(responses)) {
    if (!/^[45]\d\d$/.test(key) || isReference(response)) continue;
    const declared = response as ResponseObject;
    if (!declared.content) responses[key] = problemResponse(Number(key), declared.description || 'Error');
    else if (!declared.headers) declared.headers = { [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } };
  }
  for (const [key, response] of Object.entries(responses)) {
    if (!/^2\d\d$/.test(key) || isReference(response)) continue;
    const success = response as ResponseObject;
    success.description ||= 'Success';
    success.headers = { ...success.headers, [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } };
  }
}

/** For tests and tools: HTTP method names of a path item that hold operations. */
export const operationsOf = (document: OpenAPIObject) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, operation: item[m]! })),
  );
