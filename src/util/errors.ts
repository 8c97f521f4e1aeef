/**
 * A user-facing error: the CLI prints its message as one line (no stack trace unless --debug)
 * and exits non-zero. Throw it for bad input; let real bugs surface as ordinary errors.
 */
export class TsnasError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'TsnasError';
  }
}

export function fail(message: string): never {
  throw new TsnasError(message);
}
