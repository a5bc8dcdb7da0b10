/** The `run` section of `.vouch.yml`: how a service starts (port.ts RunSpec), owned by the deploy target. */
import { z } from 'zod';

export const RunSchema = z
  .strictObject({
    /** How the service starts; it must listen on the port given in $PORT. */
    command: z
      .string()
      .min(1, 'expected the command that starts the service, e.g. "node server.mjs"')
      .optional(),
    /** A Lambda service's handler (lambda-canary): `<file>.<export>`, as Lambda's Handler setting. */
    handler: z
      .string()
      .regex(
        /^[A-Za-z0-9_./-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/,
        'expected <file>.<export>, e.g. "lambda.handler"',
      )
      .optional(),
    healthPath: z.string().startsWith('/', 'expected a path starting with /').default('/health'),
  })
  .refine((run) => run.command === undefined || run.handler === undefined, {
    error: 'expected run.command (how the service starts) or run.handler (a Lambda service), not both',
  });
