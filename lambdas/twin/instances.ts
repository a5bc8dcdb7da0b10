/**
 * The twin's instances as machines: an instance launched from a baked image (not a builder) runs what
 * the image's builder installed, as a local process of the local platform's machinery
 * (adapters/local/target/serviceProcess.ts): the artifact the builder fetched, resolved to a local
 * directory by an `ArtifactResolver`, started with the run command of its user data on a free loopback
 * port. Terminate stops it. The load balancer (alb.ts) asks these processes for target health and
 * routes to them.
 */
import { cpSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { TAG } from '../adapters/aws/target/tags.ts';
import {
  type ServiceProcess,
  startServiceProcess,
  stopServiceProcess,
} from '../adapters/local/target/serviceProcess.ts';
import { HealthProbeTimeoutError, TwinArtifactError } from './errors.ts';
import type { InstanceListener, TwinEc2, TwinInstance } from './fakes/ec2.ts';
import type { TargetHealthState } from './fakes/elb.ts';
import type { TwinTempDirs } from './tempDirs.ts';

/** An artifact URI (s3://...) -> a local directory holding its extracted contents. */
export type ArtifactResolver = (uri: string) => Promise<string>;

const ARTIFACT = /^s3:\/\/[^/]+\/([^/]+)\/([^/]+)\.tar\.gz$/;

/**
 * The default resolver until the S3 fake holds the build's artifacts: the build step's conventional
 * URI `s3://<bucket>/<service>/<commit>.tar.gz` (adapters/aws/pipeline/artifactSource.ts) is the
 * commit's source, given as directories laid over each other in order (the story's third release is
 * examples/orders with examples/orders-faulty over it). Each commit is copied once into a fresh
 * directory of `dirs`, as the builder extracts the tarball into /opt/vouch/app; `dirs` removes them.
 */
export function commitSourceResolver(
  sources: ReadonlyMap<string, readonly string[]>,
  dirs: TwinTempDirs,
): ArtifactResolver {
  const copies = new Map<string, string>();
  return async (uri) => {
    const match = ARTIFACT.exec(uri);
    if (match === null)
      throw new TwinArtifactError(
        uri,
        'not s3://<bucket>/<service>/<commit>.tar.gz, the build step’s upload',
      );
    const commit = match[2] as string;
    const layers = sources.get(commit);
    if (layers === undefined || layers.length === 0)
      throw new TwinArtifactError(uri, `the twin was given no source for commit ${commit}`);
    let dir = copies.get(commit);
    if (dir === undefined) {
      dir = dirs.make(`vouch-twin-${commit.slice(0, 7)}-`);
      for (const layer of layers) cpSync(layer, dir, { recursive: true });
      copies.set(commit, dir);
    }
    return dir;
  };
}

type Status =
  | { readonly kind: 'starting' }
  | { readonly kind: 'up'; readonly proc: ServiceProcess }
  | { readonly kind: 'failed'; readonly problem: string }
  | { readonly kind: 'stopped' };

export interface TwinInstancesOptions {
  readonly resolveArtifact: ArtifactResolver;
  /** Service logs, one file per instance. */
  readonly logDir: string;
  /** Where an instance whose artifacts are overlays gets its working directory. */
  readonly tempDirs: TwinTempDirs;
  /** How long a process may take to answer its health path, in twin time. @default 300 s */
  readonly healthDeadlineMs?: number;
}

function probe(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new HealthProbeTimeoutError(url, timeoutMs)));
    req.on('error', reject);
    req.end();
  });
}

export class TwinInstances implements InstanceListener {
  readonly processes = new Map<string, Status>();
  private readonly starts = new Set<Promise<void>>();
  /** Processes of terminated instances still ending. */
  private readonly stopping = new Set<Promise<void>>();
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly ec2: TwinEc2,
    private readonly options: TwinInstancesOptions,
  ) {
    ec2.onInstance(this);
  }

  /** Called when a process comes up, fails or stops (the load balancer re-reads its upstreams). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private set(id: string, status: Status): void {
    this.processes.set(id, status);
    for (const l of this.listeners) l();
  }

  launched(instance: TwinInstance): void {
    if (instance.builder || instance.payload === undefined) return;
    this.set(instance.id, { kind: 'starting' });
    const start = this.start(instance).finally(() => this.starts.delete(start));
    this.starts.add(start);
  }

  private async start(instance: TwinInstance): Promise<void> {
    const payload = instance.payload as NonNullable<TwinInstance['payload']>;
    const image = this.ec2.images.get(instance.imageId);
    try {
      // Overlays are extracted over the source in order, as the builder's user data does.
      const dirs = await Promise.all(payload.artifacts.map((uri) => this.options.resolveArtifact(uri)));
      let cwd = dirs[0] as string;
      if (dirs.length > 1) {
        cwd = this.options.tempDirs.make(`vouch-twin-${instance.id}-`);
        for (const dir of dirs) cpSync(dir, cwd, { recursive: true });
      }
      const proc = await startServiceProcess({
        command: payload.command,
        healthPath: image?.tags[TAG.healthPath] ?? '/health',
        cwd,
        host: '127.0.0.1',
        // The baked unit sets PORT and nothing else (userData.ts); the port is a free loopback one here.
        env: { PATH: process.env.PATH ?? '' },
        logFile: join(this.options.logDir, `${instance.id}.log`),
        health: { intervalMs: 100, deadlineMs: this.options.healthDeadlineMs ?? 300_000 },
      });
      if (instance.terminatedAt !== undefined) {
        await stopServiceProcess(proc, 0);
        this.set(instance.id, { kind: 'stopped' });
        return;
      }
      this.set(instance.id, { kind: 'up', proc });
      void proc.exited.then(() => {
        if (this.processes.get(instance.id)?.kind === 'up')
          this.set(instance.id, { kind: 'failed', problem: 'the process exited' });
      });
    } catch (error) {
      this.set(instance.id, { kind: 'failed', problem: (error as Error).message });
    }
  }

  terminated(instance: TwinInstance): void {
    const status = this.processes.get(instance.id);
    if (status?.kind === 'up') {
      this.set(instance.id, { kind: 'stopped' });
      const stopped = stopServiceProcess(status.proc, 2000).finally(() => this.stopping.delete(stopped));
      this.stopping.add(stopped);
    } else if (status !== undefined && status.kind !== 'failed') {
      this.set(instance.id, { kind: 'stopped' });
    }
  }

  /** The loopback address of a running instance's healthy-started process, if it has one. */
  upstream(instanceId: string): { host: string; port: number } | undefined {
    const instance = this.ec2.instances.get(instanceId);
    const status = this.processes.get(instanceId);
    if (instance === undefined || status?.kind !== 'up') return undefined;
    if (this.ec2.instanceState(instance) !== 'running') return undefined;
    return { host: '127.0.0.1', port: status.proc.port };
  }

  /** A target group's health check of `instanceId` on `healthPath`, with ELB's states and reason codes. */
  async health(
    instanceId: string,
    healthPath: string,
  ): Promise<{ state: TargetHealthState; reason?: string }> {
    const instance = this.ec2.instances.get(instanceId);
    if (instance === undefined || this.ec2.instanceState(instance) !== 'running')
      return { state: 'unused', reason: 'Target.InvalidState' };
    const status = this.processes.get(instanceId);
    if (status === undefined) return { state: 'unhealthy', reason: 'Target.Timeout' }; // nothing listens
    if (status.kind === 'starting') return { state: 'initial', reason: 'Elb.RegistrationInProgress' };
    if (status.kind !== 'up') return { state: 'unhealthy', reason: 'Target.FailedHealthChecks' };
    try {
      const code = await probe(`${status.proc.url}${healthPath}`, 2000);
      return code >= 200 && code < 300
        ? { state: 'healthy' }
        : { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' };
    } catch {
      return { state: 'unhealthy', reason: 'Target.Timeout' };
    }
  }

  /** Instances whose process still runs. */
  get running(): string[] {
    return [...this.processes].filter(([, s]) => s.kind === 'up').map(([id]) => id);
  }

  /** Stops every process and waits for those of terminated instances to end (the twin's stop). */
  async stop(): Promise<void> {
    await Promise.allSettled([...this.starts]);
    await Promise.allSettled([...this.stopping]);
    await Promise.allSettled(
      [...this.processes.values()].flatMap((s) => (s.kind === 'up' ? [stopServiceProcess(s.proc, 0)] : [])),
    );
    for (const id of this.processes.keys()) this.processes.set(id, { kind: 'stopped' });
  }
}
