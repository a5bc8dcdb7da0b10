/**
 * Control by people, and the dashboard: the local platform's API on 127.0.0.1.
 *   GET  /                  the dashboard (lambdas/adapters/dashboard: services, executions, live windows,
 *                           rolled-back evidence, cost), with its JSON API under /api/dashboard/
 *   GET  /api/status        what runs where, the runs, the open windows (?service=orders narrows it)
 *   POST /api/promote       { service, environment? }  close the open window now, on the evidence so far
 *   POST /api/abort         { service }                fail the service's runs at their window; they roll back
 *   POST /api/rollback      { service, environment }   canary to 0 % at once, then the run rolls back
 * The three actions are the dashboard's control path too (its buttons post here, as the CLI does).
 * Bodies are small JSON; anything else gets a precise 4xx.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardHttpError } from '../../dashboard/errors.ts';
import { dashboardRoutes, sendError, sendJson } from '../../dashboard/server.ts';
import type { DashboardSource } from '../../dashboard/source.ts';
import { UnknownLocalNameError } from './errors.ts';
import type { OperatorControls } from './operatorControls.ts';

export interface ControlApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the operator controls and the dashboard over `source` (the platform's own, platformSource.ts). */
export async function startControlApi(
  controls: OperatorControls,
  source: DashboardSource,
  port = 0,
): Promise<ControlApi> {
  const dashboard = dashboardRoutes(source);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/api/status') {
      return sendJson(res, 200, await controls.status(url.searchParams.get('service') ?? undefined));
    }
    if (await dashboard.handle(req, res)) return;
    const route = `${req.method} ${url.pathname}`;
    throw new DashboardHttpError(
      url.pathname.startsWith('/api/') || url.pathname === '/' ? 405 : 404,
      `no ${route}`,
    );
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) =>
      sendError(
        res,
        // A service or environment this platform does not know: the one refusal of the controls that is a 404.
        error instanceof UnknownLocalNameError
          ? new DashboardHttpError(404, error.message, { cause: error })
          : error,
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of dashboard.streams) stream.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
