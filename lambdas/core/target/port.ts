/**
 * Port: where a service runs. The pipeline's bake, provision, deploy, shift, promote, rollback and
 * destroy tasks call this and nothing else, so the same tasks drive EC2 + ALB on AWS and child
 * processes behind a weighted loopback proxy on one machine (lambdas/adapters/local/target).
 *
 * Every value here is plain JSON, because the state machine carries a task's result to the next task
 * (`$.out.bake` is the `Image` that `deploy` receives; `$.out.provision` is the `Environment`).
 */
import type { ResourceTags } from '../shared/tags.ts';

/** The two slots of an environment: the running version and the one being judged against it. */
export type Slot = 'baseline' | 'canary';

/** How to start the service, from the `run` key of its `.vouch.yml` (the lead's schema). */
export interface RunSpec {
  /** Start command, run in the image folder with PORT set, e.g. `node server.mjs`; absent for a Lambda service. */
  readonly command?: string;
  /**
   * A Lambda service's handler, `<file>.<export>` (e.g. `lambda.handler`): its function runs it on AWS;
   * the local target serves it over HTTP as a function URL would.
   */
  readonly handler?: string;
  /** Path answered with 2xx once the service is ready. @default '/health' */
  readonly healthPath?: string;
}

export interface BakeRequest {
  readonly service: string;
  /** Folder holding the service (its source and its release knobs). */
  readonly source: string;
  /**
   * Folders laid over `source` in order, a later file replacing an earlier one with the same relative
   * path: how the demo makes a faulty release (examples/orders + examples/orders-faulty) as new content.
   * @default []
   */
  readonly overlays?: readonly string[];
  readonly run: RunSpec;
  readonly tags: ResourceTags;
  /**
   * The pushed commit being baked, tagged on what bake launches (the EC2 builder), so the builder of
   * a run stopped during bake can be found and terminated (core/pipeline/reconcile.ts). @default untagged
   */
  readonly commit?: string;
}

/** An immutable, content-addressed image: same content, same id. */
export interface Image {
  /** sha256 (hex) over the run spec and the sorted relative paths and contents: the content hash. */
  readonly id: string;
  readonly service: string;
  readonly run: RunSpec;
  readonly tags: ResourceTags;
  readonly sizeBytes: number;
  readonly fileCount: number;
  /** ISO 8601, when the content was first baked. */
  readonly createdAt: string;
  /** Where the image lives (a folder on one machine, an AMI id on AWS). */
  readonly location: string;
}

export interface ProvisionOptions {
  /** Created for this run and destroyed in `last` (test); otherwise looked up and updated in place (qa, prod). */
  readonly ephemeral: boolean;
  readonly tags: ResourceTags;
  /**
   * Names the ephemeral environment after the run (`runKeyOf(run.execution)`, naming.ts) so a retried
   * provision finds the same one and later tasks can compute its id. @default a random suffix
   */
  readonly runKey?: string;
}

/** An environment of a service: what `provision` returns and every other call takes back. */
export interface Environment {
  /** `<service>.<name>` for a lasting environment, `<service>.<name>.<runKey>` for an ephemeral one. */
  readonly id: string;
  readonly service: string;
  /** test, qa, prod, ... */
  readonly name: string;
  readonly ephemeral: boolean;
  readonly tags: ResourceTags;
  /** Where traffic enters: the weighted proxy (an ALB listener on AWS). */
  readonly proxyUrl: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** What the calls below need of an environment: its id, so `$.out.provision` can be passed as is. */
export type EnvironmentRef = Pick<Environment, 'id'>;
/** What `deploy` needs of an image: its id, so `$.out.bake` can be passed as is. */
export type ImageRef = Pick<Image, 'id'>;

export interface DeployOptions {
  readonly slot: Slot;
  /** Canary weight in percent (0-100) once the canary is healthy; ignored for the baseline. @default 0 */
  readonly weight?: number;
  /** The version number from the build data repository; reported by the proxy on every response. */
  readonly version: number | string;
}

export interface SlotState {
  readonly image: string;
  readonly version: string;
  /** The slot's own address, behind the proxy. */
  readonly url: string;
  /** ISO 8601. */
  readonly since: string;
  /** Process id on one machine; absent on AWS. */
  readonly pid?: number;
}

export interface EnvironmentDescription {
  readonly environment: Environment;
  readonly baseline?: SlotState;
  readonly canary?: SlotState;
  /** Percent of requests sent to the canary. */
  readonly weight: number;
  readonly proxyUrl: string;
}

/** One request through an environment's proxy, attributed to the slot that served it. */
export interface SlotRequest {
  readonly service: string;
  /** Environment name (test, qa, prod). */
  readonly environment: string;
  readonly environmentId: string;
  readonly slot: Slot;
  readonly version: string;
  readonly image: string;
  readonly method: string;
  readonly path: string;
  /** HTTP status returned to the caller; 502 when the slot could not be reached. */
  readonly status: number;
  readonly latencyMs: number;
  /** Epoch milliseconds when the request arrived. */
  readonly at: number;
}

export type SlotRequestObserver = (request: SlotRequest) => void;

export type ResourceKind = 'image' | 'environment' | 'process';

/**
 * A resource the target created at run time, with its tags: what the local cost estimate prices and
 * what the "tags on every run-time create" test reads.
 */
export interface ResourceRecord {
  readonly id: string;
  readonly kind: ResourceKind;
  readonly tags: ResourceTags;
  /** Environment name for environments and processes; absent for images (they belong to the delivery engine). */
  readonly environment?: string;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601; absent while the resource lives. */
  readonly endedAt?: string;
  /** Stored bytes, for images. */
  readonly sizeBytes?: number;
}

export interface DeployTarget {
  bake(request: BakeRequest): Promise<Image>;
  provision(service: string, environment: string, options: ProvisionOptions): Promise<Environment>;
  /** Starts the image in a slot, waits until healthy, then routes to it; a replaced slot is stopped after. */
  deploy(
    image: ImageRef,
    environment: EnvironmentRef,
    options: DeployOptions,
  ): Promise<EnvironmentDescription>;
  /** Sets the percent of requests sent to the canary (0-100). */
  shiftWeight(environment: EnvironmentRef, canaryWeight: number): Promise<EnvironmentDescription>;
  /** The canary becomes the baseline at full traffic; the old baseline is stopped. */
  promote(environment: EnvironmentRef): Promise<EnvironmentDescription>;
  /** At once: canary weight to 0, then the canary is stopped. A no-op when there is no canary. */
  rollback(environment: EnvironmentRef): Promise<EnvironmentDescription>;
  /** Stops everything of the environment and forgets it. */
  destroy(environment: EnvironmentRef): Promise<void>;
  describe(environment: EnvironmentRef): Promise<EnvironmentDescription>;
  /** Every resource created, live or ended, with its tags. */
  resources(): readonly ResourceRecord[];
}
