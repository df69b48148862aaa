/** Errors the simulated GraphQL endpoint answers with, shared by its mutations and its reads. */

/** A field the simulator does not serve: a clear error rather than a silent null. */
export const notSimulated = (what: string): string => `${what} is valid GitHub GraphQL but not simulated here`;

/** A per-field error with GitHub's `type` (NOT_FOUND, FORBIDDEN, …) beside its message. */
export class FieldError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}
