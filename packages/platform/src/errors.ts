/**
 * @module errors
 * The one error type the platform throws on purpose. Anything else that escapes a handler is a
 * bug: it is logged and answered with a bare 500.
 */

export class HttpError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    message: string,
    options: { code?: string; details?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = options.code;
    this.details = options.details;
    this.headers = options.headers;
  }

  toJSON(): Record<string, unknown> {
    return {
      error: this.message,
      ...(this.code ? { code: this.code } : {}),
      ...(this.details ?? {}),
    };
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);
export const conflict = (message: string): HttpError => new HttpError(409, message);
