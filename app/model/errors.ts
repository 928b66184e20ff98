/**
 * A user-facing error: its message is one clear sentence, shown as is (no stack trace) by the CLI
 * and the UI. Anything else that escapes is a bug in this tool and is reported as such.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A model that does not make sense (bad file, bad shapes, unknown zoo name). */
export class ModelError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}
