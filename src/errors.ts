/**
 * The one error for user mistakes: bad config, bad input, a missing remote. It names where the
 * problem is (file and field) and how to fix it. Anything else thrown is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly file?: string;
  readonly field?: string;
  readonly fix?: string;

  constructor(message: string, where: { file?: string; field?: string; fix?: string } = {}) {
    super(UserError.compose(message, where));
    this.name = 'UserError';
    this.file = where.file;
    this.field = where.field;
    this.fix = where.fix;
  }

  private static compose(message: string, where: { file?: string; field?: string; fix?: string }): string {
    const place = [where.file, where.field].filter(Boolean).join(': ');
    const head = place ? `${place}: ${message}` : message;
    return where.fix ? `${head} (fix: ${where.fix})` : head;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
