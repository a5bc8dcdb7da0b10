// `--aws [--stack Vouch] [--outputs cdk-outputs.json]`, the flags that turn a command to the deployed
// platform. Apart from aws.ts, which loads the AWS SDK clients, so that a command reads its flags
// without loading them and loads them only when --aws is given.

export const AWS_OPTIONS = {
  aws: { type: 'boolean', default: false },
  stack: { type: 'string' },
  outputs: { type: 'string' },
} as const;

export interface AwsFlags {
  readonly aws?: boolean | undefined;
  readonly stack?: string | undefined;
  readonly outputs?: string | undefined;
}

/** Splits `--aws`, `--stack S`, `--outputs F` off a command's arguments (the rest parse as before). */
export function takeAwsFlags(argv: string[]): { argv: string[]; aws?: AwsFlags } {
  if (!argv.includes('--aws')) return { argv };
  const rest: string[] = [];
  const flags: { aws: boolean; stack?: string; outputs?: string } = { aws: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--aws') continue;
    if ((arg === '--stack' || arg === '--outputs') && argv[i + 1] !== undefined) {
      flags[arg === '--stack' ? 'stack' : 'outputs'] = argv[++i] as string;
      continue;
    }
    rest.push(arg);
  }
  return { argv: rest, aws: flags };
}
