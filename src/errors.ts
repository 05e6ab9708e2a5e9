/** One failing field: its dot path (`credentials.host`) and a human message. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  status?: number;
  /** Whether the message may be shown to the caller. Unexposed errors are logged and replaced. */
  expose?: boolean;
  issues?: FieldIssue[];
  cause?: unknown;
}

/**
 * Errors are typed data: a stable `code`, an HTTP `status`, and whether the message is safe to show.
 * Each protocol (REST, OAuth, MCP) has one mapper that turns them into its own shape.
 */
export class AppError extends Error {
  override name = "AppError";
  readonly status: number;
  readonly expose: boolean;
  readonly issues?: FieldIssue[];

  constructor(
    readonly code: string,
    message: string,
    { status = 500, expose, issues, cause }: AppErrorOptions = {},
  ) {
    super(message, { cause });
    this.status = status;
    this.expose = expose ?? status < 500;
    this.issues = issues;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super("validation_failed", message, { status: 400, issues });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super("not_found", message, { status: 404 });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, options: { issues?: FieldIssue[] } = {}) {
    super("conflict", message, { status: 409, ...options });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = "Authentication required: send Authorization: Bearer <keyId>:<keySecret>") {
    super("unauthorized", message, { status: 401 });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super("forbidden", message, { status: 403 });
  }
}

/** A dependency (the database) is away for now: 503 with `Retry-After`, the caller should try again. */
export class ServiceUnavailableError extends AppError {
  constructor(code: string, message: string, readonly retryAfterSeconds: number, cause?: unknown) {
    super(code, message, { status: 503, expose: true, cause });
  }
}
