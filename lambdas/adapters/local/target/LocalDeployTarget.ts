/**
 * The one-machine deploy target: images are content-addressed folders, an environment is a weighted
 * loopback proxy in front of a baseline and a canary process. Lasting environments (qa, prod) are
 * updated in place; ephemeral ones (test) are created and destroyed per run.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../core/evidence/clock.ts';
import {
  EnvironmentNotFoundError,
  ImageInUseError,
  InvalidRunSpecError,
  NoBaselineError,
  NoCanaryError,
} from '../../../core/target/errors.ts';
import { checkProvisionNames, checkTargetName, environmentId } from '../../../core/target/naming.ts';
import type * as Target from '../../../core/target/port.ts';
import { validateCanaryWeight } from '../../../core/target/weights.ts';
import { bakeImage, DEFAULT_IMAGE_EXCLUDES, readImage } from './image.ts';
import { ResourceJournal } from './resourceJournal.ts';
import {
  type HealthCheckOptions,
  type ServiceProcess,
  startServiceProcess,
  stopServiceProcess,
} from './serviceProcess.ts';
import { type ProxyUpstream, WeightedProxy } from './weightedProxy.ts';

export interface LocalDeployTargetOptions {
  /** Images (`images/<id>/`), service logs (`logs/`) and the resource journal (`resources.jsonl`). */
  readonly dataDir: string;
  /** Loopback address for the proxies and the services. @default '127.0.0.1' */
  readonly host?: string;
  /** Health check on start. @default { intervalMs: 100, timeoutMs: 1000, deadlineMs: DEFAULT_HEALTH_DEADLINE_MS } */
  readonly health?: HealthCheckOptions;
  /** The platform's clock: health-check deadlines are counted on it. @default the system clock */
  readonly clock?: Clock;
  /** SIGTERM-to-SIGKILL grace for a slot replaced by a deploy or promoted away. Rollback and destroy kill at once. @default 2000 */
  readonly stopGraceMs?: number;
  /** Called for every request through any environment's proxy (see also `addRequestObserver`). */
  readonly onRequest?: Target.SlotRequestObserver;
  /** Extra environment variables for every service process (on top of the parent's, minus NODE_OPTIONS). @default {} */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  /** Fixed proxy port per environment id (e.g. `{ 'orders.prod': 8080 }`), for a stable URL. @default OS-chosen */
  readonly proxyPorts?: Readonly<Record<string, number>>;
  /** Names left out of images. @default ['.git', '.vouch', 'node_modules'] */
  readonly imageExcludes?: readonly string[];
  /** Append resource records to `<dataDir>/resources.jsonl`. @default true */
  readonly journal?: boolean;
  /** Clock for resource records. @default () => new Date() */
  readonly now?: () => Date;
}

interface LiveSlot {
  readonly image: Target.Image;
  readonly version: string;
  readonly since: string;
  readonly process: ServiceProcess;
  readonly upstream: ProxyUpstream;
  readonly recordId: string;
}

interface LiveEnvironment {
  readonly environment: Target.Environment;
  readonly proxy: WeightedProxy;
  readonly recordId: string;
  readonly slots: { baseline?: LiveSlot; canary?: LiveSlot };
  /** Operations on one environment run one after the other. */
  queue: Promise<unknown>;
}

export class LocalDeployTarget implements Target.DeployTarget {
  readonly dataDir: string;
  private readonly host: string;
  private readonly now: () => Date;
  private readonly journal: ResourceJournal;
  private readonly environments = new Map<string, LiveEnvironment>();
  private readonly observers = new Set<Target.SlotRequestObserver>();
  private readonly pendingProvisions = new Map<string, Promise<Target.Environment>>();

  constructor(private readonly options: LocalDeployTargetOptions) {
    this.dataDir = options.dataDir;
    this.host = options.host ?? '127.0.0.1';
    this.now = options.now ?? (() => new Date());
    this.journal = new ResourceJournal(
      (options.journal ?? true) ? join(options.dataDir, 'resources.jsonl') : undefined,
    );
    if (options.onRequest) this.observers.add(options.onRequest);
  }

  get imagesDir(): string {
    return join(this.dataDir, 'images');
  }

  /** Adds a per-request observer (e.g. the metric store feed); returns its removal. */
  addRequestObserver(observer: Target.SlotRequestObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  async bake(request: Target.BakeRequest): Promise<Target.Image> {
    checkTargetName('service', request.service);
    const { image } = await bakeImage(
      this.imagesDir,
      request,
      this.now,
      this.options.imageExcludes ?? DEFAULT_IMAGE_EXCLUDES,
    );
    // An image baked in an earlier session is recorded with its first creation time: it has been
    // stored since then.
    this.journal.create({
      id: `image:${image.id}`,
      kind: 'image',
      tags: image.tags,
      createdAt: image.createdAt,
      sizeBytes: image.sizeBytes,
    });
    return image;
  }

  async provision(
    service: string,
    environment: string,
    options: Target.ProvisionOptions,
  ): Promise<Target.Environment> {
    const runKey = options.ephemeral ? (options.runKey ?? randomBytes(4).toString('hex')) : undefined;
    // The names the environment's id is made of (a run key is only used by an ephemeral one).
    checkProvisionNames(service, environment, runKey);
    const id = environmentId(service, environment, runKey);
    const existing = this.environments.get(id);
    if (existing) return existing.environment;
    // Two provisions of the same id at once create one environment.
    const pending = this.pendingProvisions.get(id);
    if (pending) return pending;
    const creating = this.createEnvironment(id, service, environment, options).finally(() =>
      this.pendingProvisions.delete(id),
    );
    this.pendingProvisions.set(id, creating);
    return creating;
  }

  private async createEnvironment(
    id: string,
    service: string,
    name: string,
    options: Target.ProvisionOptions,
  ): Promise<Target.Environment> {
    const proxy = new WeightedProxy(this.host, (request) => {
      const live = this.environments.get(id);
      if (!live) return;
      for (const observer of this.observers) {
        try {
          observer({ ...request, service, environment: name, environmentId: id });
        } catch {
          // One failing observer must neither break traffic nor starve the others.
        }
      }
    });
    await proxy.listen(this.options.proxyPorts?.[id] ?? 0);
    const createdAt = this.now().toISOString();
    const environment: Target.Environment = {
      id,
      service,
      name,
      ephemeral: options.ephemeral,
      tags: options.tags,
      proxyUrl: proxy.url,
      createdAt,
    };
    const recordId = `environment:${id}:${randomBytes(4).toString('hex')}`;
    this.journal.create({
      id: recordId,
      kind: 'environment',
      tags: options.tags,
      environment: name,
      createdAt,
    });
    this.environments.set(id, { environment, proxy, recordId, slots: {}, queue: Promise.resolve() });
    return environment;
  }

  private live(ref: Target.EnvironmentRef): LiveEnvironment {
    const live = this.environments.get(ref.id);
    if (!live) throw new EnvironmentNotFoundError(ref.id);
    return live;
  }

  /** Runs `operation` after the environment's earlier operations, whatever their outcome. */
  private serial<T>(live: LiveEnvironment, operation: () => Promise<T>): Promise<T> {
    const next = live.queue.then(operation, operation);
    live.queue = next.catch(() => undefined);
    return next;
  }

  async deploy(
    imageRef: Target.ImageRef,
    ref: Target.EnvironmentRef,
    options: Target.DeployOptions,
  ): Promise<Target.EnvironmentDescription> {
    const live = this.live(ref);
    const weight = options.slot === 'canary' ? validateCanaryWeight(options.weight ?? 0) : 0;
    const image = await readImage(this.imagesDir, imageRef.id);
    return this.serial(live, async () => {
      if (options.slot === 'canary' && !live.slots.baseline) throw new NoBaselineError(live.environment.id);
      const version = String(options.version);
      const started = await this.startSlot(live, options.slot, image, version);
      const replaced = live.slots[options.slot];
      live.slots[options.slot] = started;
      if (options.slot === 'canary') live.proxy.picker.setCanaryWeight(weight);
      live.proxy.setUpstream(options.slot, started.upstream);
      if (replaced) await this.stopSlot(live, replaced, this.options.stopGraceMs ?? 2000);
      return this.describeLive(live);
    });
  }

  private async startSlot(
    live: LiveEnvironment,
    slot: Target.Slot,
    image: Target.Image,
    version: string,
  ): Promise<LiveSlot> {
    const { environment } = live;
    const { NODE_OPTIONS: _loader, ...parentEnv } = process.env;
    const since = this.now().toISOString();
    const proc = await startServiceProcess({
      command: localCommand(image.run),
      healthPath: image.run.healthPath ?? '/health',
      cwd: image.location,
      host: this.host,
      env: {
        ...parentEnv,
        ...this.options.serviceEnv,
        VOUCH_SERVICE: environment.service,
        VOUCH_ENVIRONMENT: environment.name,
        VOUCH_SLOT: slot,
        VOUCH_VERSION: version,
        VOUCH_IMAGE: image.id,
      },
      logFile: join(this.dataDir, 'logs', environment.id, `${slot}-v${version}-${Date.now()}.log`),
      health: this.options.health ?? {},
      clock: this.options.clock,
    });
    const recordId = `process:${environment.id}:${slot}:${proc.pid}:${randomBytes(2).toString('hex')}`;
    this.journal.create({
      id: recordId,
      kind: 'process',
      tags: environment.tags,
      environment: environment.name,
      createdAt: since,
    });
    // A process that dies on its own stops costing from then on.
    void proc.exited.then(() => this.journal.end(recordId, this.now().toISOString()));
    return {
      image,
      version,
      since,
      process: proc,
      upstream: { host: this.host, port: proc.port, version, image: image.id },
      recordId,
    };
  }

  private async stopSlot(live: LiveEnvironment, slot: LiveSlot, graceMs: number): Promise<void> {
    await stopServiceProcess(slot.process, graceMs);
    this.journal.end(slot.recordId, this.now().toISOString());
    live.proxy.dropUpstream(slot.upstream);
  }

  async shiftWeight(
    ref: Target.EnvironmentRef,
    canaryWeight: number,
  ): Promise<Target.EnvironmentDescription> {
    const live = this.live(ref);
    const weight = validateCanaryWeight(canaryWeight);
    return this.serial(live, async () => {
      if (!live.slots.canary && weight > 0) throw new NoCanaryError(live.environment.id, 'shift weight');
      live.proxy.picker.setCanaryWeight(weight);
      return this.describeLive(live);
    });
  }

  async promote(ref: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const live = this.live(ref);
    return this.serial(live, async () => {
      const canary = live.slots.canary;
      if (!canary) throw new NoCanaryError(live.environment.id, 'promote');
      const old = live.slots.baseline;
      live.proxy.picker.setCanaryWeight(0);
      live.proxy.setUpstream('baseline', canary.upstream);
      live.proxy.setUpstream('canary', undefined);
      live.slots.baseline = canary;
      delete live.slots.canary;
      if (old) await this.stopSlot(live, old, this.options.stopGraceMs ?? 2000);
      return this.describeLive(live);
    });
  }

  async rollback(ref: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    const live = this.live(ref);
    // At once, before any queued operation: no new request reaches the canary from here on.
    live.proxy.picker.setCanaryWeight(0);
    live.proxy.setUpstream('canary', undefined);
    return this.serial(live, async () => {
      // Again inside the queue: a canary deploy that was in flight has landed by now.
      live.proxy.picker.setCanaryWeight(0);
      live.proxy.setUpstream('canary', undefined);
      const canary = live.slots.canary;
      delete live.slots.canary;
      if (canary) await this.stopSlot(live, canary, 0);
      return this.describeLive(live);
    });
  }

  /** Idempotent: destroying an environment that is gone is a no-op, so `last` can always run it. */
  async destroy(ref: Target.EnvironmentRef): Promise<void> {
    const live = this.environments.get(ref.id);
    if (!live) return;
    await this.serial(live, async () => {
      this.environments.delete(ref.id);
      await live.proxy.close();
      const slots = [live.slots.baseline, live.slots.canary].filter((s): s is LiveSlot => s !== undefined);
      await Promise.all(slots.map((slot) => this.stopSlot(live, slot, 0)));
      this.journal.end(live.recordId, this.now().toISOString());
    });
  }

  async describe(ref: Target.EnvironmentRef): Promise<Target.EnvironmentDescription> {
    return this.describeLive(this.live(ref));
  }

  /** Environments this target holds now. */
  list(): Target.Environment[] {
    return [...this.environments.values()].map((live) => live.environment);
  }

  resources(): readonly Target.ResourceRecord[] {
    return this.journal.all();
  }

  /** Every image stored in the images folder, newest first. */
  async images(): Promise<Target.Image[]> {
    const names = await readdir(this.imagesDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    // Folders that are not images (a bake's staging folder) are not listed.
    const images = await Promise.all(names.map((id) => readImage(this.imagesDir, id).catch(() => undefined)));
    return images
      .filter((i): i is Target.Image => i !== undefined)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  }

  /** Removes a stored image; refused while any environment runs it. Gone already is done. */
  async removeImage(id: string): Promise<void> {
    for (const live of this.environments.values()) {
      for (const slot of [live.slots.baseline, live.slots.canary]) {
        if (slot?.image.id === id) throw new ImageInUseError(id, live.environment.id);
      }
    }
    await rm(join(this.imagesDir, id), { recursive: true, force: true });
    this.journal.end(`image:${id}`, this.now().toISOString());
  }

  /** Destroys every environment: all proxies closed, all service processes killed. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.environments.values()].map((live) => this.destroy(live.environment)));
  }

  private describeLive(live: LiveEnvironment): Target.EnvironmentDescription {
    const slotState = (slot: LiveSlot | undefined): Target.SlotState | undefined =>
      slot && {
        image: slot.image.id,
        version: slot.version,
        url: `http://${this.host}:${slot.process.port}`,
        since: slot.since,
        pid: slot.process.pid,
      };
    const baseline = slotState(live.slots.baseline);
    const canary = slotState(live.slots.canary);
    return {
      environment: live.environment,
      ...(baseline && { baseline }),
      ...(canary && { canary }),
      weight: canary ? live.proxy.picker.weight : 0,
      proxyUrl: live.environment.proxyUrl,
    };
  }
}

/** The local function URL host: a Lambda service's handler served over HTTP as a function URL would. */
export const FUNCTION_URL_HOST = fileURLToPath(new URL('./functionUrlHost.mjs', import.meta.url));

/** How the local target starts an image: its command, or for a Lambda service the function URL host. */
export function localCommand(run: Target.RunSpec): string {
  if (run.command !== undefined) return run.command;
  if (run.handler !== undefined) return `node ${FUNCTION_URL_HOST} ${run.handler}`;
  throw new InvalidRunSpecError('the image has neither run.command nor run.handler: nothing to start');
}
