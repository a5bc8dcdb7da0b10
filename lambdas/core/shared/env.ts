import { MissingEnvironmentVariableError } from './errors.ts';

/** Reads a required environment variable at module scope, so a misconfigured function fails at cold start. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new MissingEnvironmentVariableError(name);
  }
  return value;
}
