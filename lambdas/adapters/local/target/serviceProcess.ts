/**
 * Service processes of the one-machine target: start a slot's process on a free loopback port, wait
 * until its health path answers, stop it. Every process started is tracked, so `stopAllServiceProcesses`
 * and the parent's exit (or SIGINT/SIGTERM) kill them; a preloaded watcher kills them if the parent
 * dies without a chance to (SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Clock, systemClock } from '../../../core/evidence/clock.ts';
import {
  HealthCheckTimeoutError,
  InvalidRunSpecError,
  PortTakenError,
  ServiceStartError,
} from '../../../core/target/errors.ts';

const PARENT_WATCH = join(dirname(fileURLToPath(import.meta.url)), 'parentWatch.cjs');

/** Splits a start command into argv: whitespace separated, "double" or 'single' quotes group. No shell. */
export function parseCommand(command: string): string[] {
  const args: string[] = [];
  let current = '';
  let quote: '"' | "'" | undefined;
  let started = false;
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) throw new InvalidRunSpecError(`Unclosed ${quote} in run command: ${command}`);
  if (started) args.push(current);
  if (args.length === 0)
    throw new InvalidRunSpecError('The run command is empty: set run.command in .vouch.yml');
  return args;
}

const live = new Set<ChildProcess>();
/** Ports handed to live processes: not handed out again while they run, even if not yet bound. */
const reservedPorts = new Set<number>();

function killTracked(signal: NodeJS.Signals): void {
  for (const child of live) {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

let hooksInstalled = false;
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: kill() is.
  process.once('exit', () => killTracked('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killTracked('SIGKILL');
      // Only take over the default behaviour (exit) when nobody else listens for the signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Kills every service process still running (SIGKILL), e.g. from a test's afterAll. */
export function stopAllServiceProcesses(): void {
  killTracked('SIGKILL');
}

/** Number of service processes started by this process and still running. */
export function liveServiceProcessCount(): number {
  return live.size;
}

/** A port the OS says is free now, not already handed to one of our processes. */
async function freePort(host: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, host, () => {
        const address = probe.address();
        probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
      });
    });
    if (!reservedPorts.has(port)) return port;
  }
  throw new ServiceStartError('No free loopback port found');
}

/**
 * How long a new process has to answer its health path, in the platform's time: five minutes, as an
 * instance booting behind the load balancer gets on AWS (the EC2 target waits up to 6 min for healthy
 * targets). On a clock running 20x that is 15 s of real time.
 */
export const DEFAULT_HEALTH_DEADLINE_MS = 300_000;

export interface HealthCheckOptions {
  /** Give up after this many attempts even before the deadline. @default no limit but the deadline */
  readonly attempts?: number;
  /** Pause between attempts (real time: a polling cadence). @default 100 */
  readonly intervalMs?: number;
  /** Timeout of one attempt (real time: how long the service may take to answer). @default 1000 */
  readonly timeoutMs?: number;
  /** The deadline for the whole check, counted on the platform's clock. @default DEFAULT_HEALTH_DEADLINE_MS */
  readonly deadlineMs?: number;
}

export interface StartServiceOptions {
  readonly command: string;
  readonly healthPath: string;
  readonly cwd: string;
  readonly host: string;
  readonly env: NodeJS.ProcessEnv;
  /** Service stdout and stderr are appended here. */
  readonly logFile: string;
  readonly health: HealthCheckOptions;
  /** The platform's clock: the health-check deadline runs on it. @default systemClock */
  readonly clock?: Clock;
}

export interface ServiceProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

function probeHealth(url: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false, signal }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new HealthCheckTimeoutError(timeoutMs)));
    req.on('error', reject);
    req.end();
  });
}

/** Waits `ms`, or less when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePause) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolvePause();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Up to this many starts when a process dies early because another process took its port. */
const PORT_RACE_RETRIES = 3;

export async function startServiceProcess(options: StartServiceOptions): Promise<ServiceProcess> {
  const [file, ...args] = parseCommand(options.command);
  if (!options.healthPath.startsWith('/')) {
    throw new InvalidRunSpecError(`run.healthPath must start with '/', got ${options.healthPath}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(file === 'node' ? process.execPath : (file as string), args, options);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= PORT_RACE_RETRIES) {
        throw error instanceof PortTakenError
          ? new ServiceStartError(error.message, { cause: error })
          : error;
      }
    }
  }
}

async function startOnce(
  file: string,
  args: string[],
  options: StartServiceOptions,
): Promise<ServiceProcess> {
  installExitHooks();
  // The port is chosen by the OS (bind 0), then handed to the service through PORT. Another process
  // may take it in between: the service then dies with EADDRINUSE and is started again on a new port.
  const port = await freePort(options.host);
  reservedPorts.add(port);
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-2000);
  };
  const nodeOptions = [options.env.NODE_OPTIONS ?? '', `--require "${PARENT_WATCH}"`].join(' ').trim();
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: {
      ...options.env,
      PORT: String(port),
      HOST: options.host,
      NODE_OPTIONS: nodeOptions,
      VOUCH_PARENT_PID: String(process.pid),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let exitedEarly: string | undefined;
  const exited = new Promise<void>((resolveExit) => {
    const done = (why: string): void => {
      live.delete(child);
      reservedPorts.delete(port);
      exitedEarly ??= why;
      log.end();
      resolveExit();
    };
    child.once('exit', (code, signal) => done(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (error) => done(`could not start: ${error.message}`));
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    keepTail(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    keepTail(chunk);
  });

  const url = `http://${options.host}:${port}`;
  const attempts = options.health.attempts ?? Number.POSITIVE_INFINITY;
  const intervalMs = options.health.intervalMs ?? 100;
  const timeoutMs = options.health.timeoutMs ?? 1000;
  const deadlineMs = options.health.deadlineMs ?? DEFAULT_HEALTH_DEADLINE_MS;
  // The deadline is platform time (a scaled clock in the story, virtual time in tests); it also
  // aborts the attempt in flight, so a service that hangs on its health path fails at the deadline.
  const expired = new AbortController();
  const deadline = (options.clock ?? systemClock).setTimer(deadlineMs, () => expired.abort());
  const startedAt = Date.now();
  let lastProblem = 'no answer';
  let made = 0;
  try {
    while (made < attempts && !expired.signal.aborted && !exitedEarly) {
      made++;
      try {
        const status = await probeHealth(`${url}${options.healthPath}`, timeoutMs, expired.signal);
        if (status >= 200 && status < 300) {
          return { pid: child.pid as number, port, url, child, exited };
        }
        lastProblem = `status ${status}`;
      } catch (error) {
        if (!expired.signal.aborted) lastProblem = (error as Error).message;
      }
      await pause(intervalMs, expired.signal);
    }
  } finally {
    deadline.cancel();
  }
  if (exitedEarly) {
    await exited;
    const message = `${options.command} in ${options.cwd} ${exitedEarly} before it was healthy. Last output:\n${tail}`;
    if (tail.includes('EADDRINUSE')) throw new PortTakenError(message);
    throw new ServiceStartError(message);
  }
  await stopServiceProcess({ child, exited }, 0);
  const why = expired.signal.aborted
    ? `within its deadline of ${deadlineMs / 1000} s of platform time`
    : `after ${made} attempts`;
  throw new ServiceStartError(
    `${options.command} in ${options.cwd} was not healthy at ${options.healthPath} ${why} (${made} attempts, ${((Date.now() - startedAt) / 1000).toFixed(1)} s real time; last: ${lastProblem}). Last output:\n${tail}`,
  );
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopServiceProcess(
  proc: Pick<ServiceProcess, 'child' | 'exited'>,
  graceMs: number,
): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  if (graceMs > 0) {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await proc.exited;
    clearTimeout(timer);
  } else {
    await proc.exited;
  }
}
