/**
 * The control Lambda's Function URL (auth type AWS_IAM): Lambda checks the SigV4 signature and the
 * caller's lambda:InvokeFunctionUrl permission before the function runs, and passes the verified
 * caller in `requestContext.authorizer.iam`. A caller without permission never reaches the code:
 * the URL answers 403 (the CLI and the dashboard say so).
 */
import { z } from 'zod';
import { applyControl, type ControlPorts, parseControlRequest } from '../../../core/control/control.ts';
import { InvalidControlRequestError, UnidentifiedCallerError } from '../../../core/control/errors.ts';

const FunctionUrlEventSchema = z.object({
  requestContext: z.object({
    http: z.object({ method: z.string() }),
    authorizer: z.object({ iam: z.object({ userArn: z.string().min(1) }) }).optional(),
  }),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

export interface FunctionUrlResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const reply = (statusCode: number, body: unknown): FunctionUrlResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Validates the Function URL event, takes the verified caller ARN, runs the action: 200, 400, 403, 405. */
export async function handleControlRequest(event: unknown, ports: ControlPorts): Promise<FunctionUrlResult> {
  const parsed = FunctionUrlEventSchema.safeParse(event);
  if (!parsed.success) return reply(400, { error: 'not a Lambda Function URL request' });
  const { requestContext, body, isBase64Encoded } = parsed.data;
  if (requestContext.http.method !== 'POST') return reply(405, { error: 'POST a control request' });
  try {
    const caller = requestContext.authorizer?.iam.userArn;
    if (!caller)
      throw new UnidentifiedCallerError('the control URL must use AWS_IAM auth: no verified caller');
    let json: unknown;
    try {
      json = JSON.parse(isBase64Encoded ? Buffer.from(body ?? '', 'base64').toString('utf8') : (body ?? ''));
    } catch (error) {
      throw new InvalidControlRequestError('body is not valid JSON', { cause: error });
    }
    const request = parseControlRequest(json);
    return reply(200, { ...(await applyControl(request, caller, ports)), actor: caller });
  } catch (error) {
    if (error instanceof InvalidControlRequestError) return reply(400, { error: error.message });
    if (error instanceof UnidentifiedCallerError) return reply(403, { error: error.message });
    throw error;
  }
}
