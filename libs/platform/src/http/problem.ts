import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface FieldError {
  field: string;
  message: string;
  /** The line of an NDJSON body (bulk imports) the error is on, counted from 1. */
  line?: number;
}

/** RFC 9457 problem details, the body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_BASE = 'https://kielto.fi/problems/';

/** Thrown anywhere to answer with a specific problem type, optionally naming fields and extra headers. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly problemType: string,
    detail: string,
    readonly fieldErrors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail, status);
  }
}

export const fieldProblem = (field: string, message: string, status = HttpStatus.BAD_REQUEST) =>
  new ProblemException(status, 'validation', `Invalid request: ${field}`, [{ field, message }]);

export function fieldErrorsOf(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent
      ? /^\d+$/.test(e.property)
        ? `${parent}[${e.property}]`
        : `${parent}.${e.property}`
      : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...fieldErrorsOf(e.children ?? [], field)];
  });
}

/** How every body is validated (the global pipe, and each line of a bulk import). */
export const VALIDATION_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  // Messages name the field but never echo the rejected value: it may be personal data.
  validationError: { target: false, value: false },
} as const;

/** The global pipe: unknown fields are rejected, values are transformed, every bad field is named. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATION_OPTIONS,
    exceptionFactory: (errors) => {
      const fieldErrors = fieldErrorsOf(errors);
      const names = [...new Set(fieldErrors.map((e) => e.field))].join(', ');
      return new ProblemException(400, 'validation', `Invalid request: ${names}`, fieldErrors);
    },
  });
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'content-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable',
  429: 'too-many-requests',
  500: 'internal',
  503: 'unavailable',
};

export function problem(status: number, detail: string, typeName?: string, errors?: FieldError[]): ProblemDetails {
  return {
    type: PROBLEM_BASE + (typeName ?? TYPE_BY_STATUS[status] ?? 'error'),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

/** Maps errors thrown by Fastify itself (body parsing, limits, content type) to problems. */
export function problemFromFrameworkError(error: {
  statusCode?: number;
  code?: string;
  message?: string;
}): ProblemDetails {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
  if (status === 400 && /JSON/i.test(error.message ?? '')) {
    return problem(400, 'The request body is not valid JSON', 'malformed-json', [
      { field: 'body', message: 'body must be valid JSON' },
    ]);
  }
  switch (status) {
    case 413:
      return problem(413, 'The request body is too large', undefined, [
        { field: 'body', message: 'body exceeds the size limit' },
      ]);
    case 415:
      return problem(415, 'Unsupported content type', undefined, [
        { field: 'content-type', message: 'content-type is not accepted by this route' },
      ]);
    default:
      return problem(status, status >= 500 ? 'Unexpected error' : (error.message ?? 'Bad request'));
  }
}

/** Everything thrown by a route ends here and leaves as application/problem+json. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    let body: ProblemDetails;
    let headers: Record<string, string> | undefined;

    if (exception instanceof ProblemException) {
      body = problem(exception.getStatus(), exception.message, exception.problemType, exception.fieldErrors);
      headers = exception.headers;
    } else if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? String((response as { message: unknown }).message)
          : exception.message;
      // Body-parser failures surface as plain HttpExceptions; give them their field errors.
      body =
        status === 413 || status === 415 || (status === 400 && /not valid JSON/.test(message))
          ? problemFromFrameworkError({ statusCode: status, message })
          : problem(status, message);
      if (status === 429 && !reply.getHeader('retry-after'))
        headers = { 'retry-after': String(retryAfterOf(exception)) };
    } else if (isFrameworkError(exception)) {
      body = problemFromFrameworkError(exception);
    } else if (isDependencyOutage(exception)) {
      // The database or the broker is unreachable: a transient condition the client should retry, not a bug.
      this.logger.warn({ err: exception }, 'a backing service is unavailable');
      body = problem(503, 'A backing service is unavailable; try again shortly');
      headers = { 'retry-after': '1' };
    } else {
      // Unknown errors are logged (without request data) and answered generically.
      this.logger.error({ err: exception }, 'Unhandled error');
      body = problem(500, 'Unexpected error');
    }
    body.instance = request.url.split('?')[0];
    body.requestId = String(request.id);
    void reply
      .status(body.status)
      .headers(headers ?? {})
      .type(PROBLEM_CONTENT_TYPE)
      .send(body);
  }
}

const OUTAGE_ERRORS = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
]);

function isDependencyOutage(e: unknown): boolean {
  return e instanceof Error && OUTAGE_ERRORS.has(e.name);
}

function isFrameworkError(e: unknown): e is { statusCode?: number; code: string; message?: string } {
  return typeof e === 'object' && e !== null && typeof (e as { statusCode?: unknown }).statusCode === 'number';
}

function retryAfterOf(exception: HttpException): number {
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null && 'retryAfter' in response) {
    return Number((response as { retryAfter: unknown }).retryAfter) || 1;
  }
  return 1;
}
