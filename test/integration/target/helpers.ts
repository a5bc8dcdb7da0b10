import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';

export const ordersTags = { service: 'orders', team: 'payments', solution: 'shop' } as const;
export const ordersRun = { command: 'node server.mjs', healthPath: '/health' } as const;

/** True while the process runs; a zombie (exited, not yet reaped by an orphan's new parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc');
  }
}

/** Resolves with the connect error code, or 'connected'. */
export function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

export interface Answer {
  readonly status: number;
  readonly slot: string | null;
  readonly version: string | null;
}

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

/** One GET through a shared keep-alive pool (lighter than fetch when a test sends hundreds). */
export function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume();
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          slot: (res.headers['x-vouch-slot'] as string | undefined) ?? null,
          version: (res.headers['x-vouch-version'] as string | undefined) ?? null,
        }),
      );
      res.once('error', reject);
    })
      .once('error', reject)
      .end();
  });
}

/** Sends `count` GETs, `concurrency` at a time, and returns each answer in order of sending. */
export async function sendRequests(url: string, count: number, concurrency = 8): Promise<Answer[]> {
  const answers: Answer[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      answers[index] = await get(url);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return answers;
}

/** Polls `check` every 50 ms up to `attempts` times. */
export async function eventually(check: () => boolean, attempts = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
