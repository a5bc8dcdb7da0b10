import aslValidator from 'asl-validator';
import type { AslDefinition } from './compile.ts';

/**
 * Checks a compiled definition with asl-validator (the States Language JSON schema plus its
 * structural checks: transitions, terminal states, duplicate names). Placeholders such as
 * `${TaskFn_version}` are replaced by well-formed Lambda ARNs first, as CDK does at deploy time.
 */
export function validateAsl(definition: AslDefinition): { valid: boolean; errors: string[] } {
  const concrete = JSON.parse(
    JSON.stringify(definition).replace(
      /\$\{TaskFn_([a-z]+)\}/g,
      'arn:aws:lambda:us-east-1:123456789012:function:vouch-$1',
    ),
  );
  const result = aslValidator(concrete, { checkPaths: true, checkArn: true });
  return {
    valid: result.isValid,
    errors: result.errors.map((e: { message?: string; path?: string }) =>
      `${e.path ?? ''} ${e.message ?? JSON.stringify(e)}`.trim(),
    ),
  };
}
