import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The body of every failed API response. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: unknown;
  };
}

/**
 * An expected failure that reaches the client as `{ error: { code, message, details } }`.
 * The message is for people: it names the field or key and what to do next.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export const notFound = (what: string, id: string) =>
  new ApiError(404, "not_found", `${what} ${JSON.stringify(id)} was not found.`);
