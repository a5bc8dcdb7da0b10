import { existsSync, readFileSync } from 'node:fs';
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

/** Sends `count` requests, `concurrency` at a time, and returns each answer in order of sending. */
export async function sendRequests(
  url: string,
  count: number,
  concurrency = 8,
  init?: RequestInit,
): Promise<Answer[]> {
  const answers: Answer[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const res = await fetch(url, init);
      await res.arrayBuffer();
      answers[index] = {
        status: res.status,
        slot: res.headers.get('x-vouch-slot'),
        version: res.headers.get('x-vouch-version'),
      };
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
