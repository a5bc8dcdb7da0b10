// The orders API as a Lambda function behind a function URL (payload format 2.0): the lambda-canary
// flavour deploys this handler; the behaviour and release knobs are orders.mjs's, as for server.mjs.
import { handleOrders } from './orders.mjs';

// Lambda sets AWS_LAMBDA_FUNCTION_VERSION per published version; the local host sets VOUCH_VERSION.
const version = process.env.VOUCH_VERSION ?? process.env.AWS_LAMBDA_FUNCTION_VERSION ?? 'dev';

export async function handler(event) {
  const http = event.requestContext?.http ?? {};
  const raw = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    const response = await handleOrders({
      method: http.method ?? 'GET',
      path: event.rawPath ?? http.path ?? '/',
      body: body.length > 64 * 1024 ? '' : body,
      version,
    });
    return {
      statusCode: response.status,
      headers: { 'content-type': 'application/json', 'x-service-version': version },
      body: JSON.stringify(response.body),
    };
  } catch (error) {
    return {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: String(error) }),
    };
  }
}
