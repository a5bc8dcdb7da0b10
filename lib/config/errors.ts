/** A platform config file that cannot be used: unreadable, invalid YAML, or failing the schema. */
export class PlatformConfigError extends Error {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(`platform config ${file} is invalid:\n${message}`, options);
    this.name = 'PlatformConfigError';
    this.file = file;
  }
}
