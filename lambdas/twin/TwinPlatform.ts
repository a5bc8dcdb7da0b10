/**
 * The AWS twin: what `cdk synth` writes for a platform config, run on this machine. The templates
 * are the only input: functions, roles, policies, state machines, tables, schedules and alarms are
 * read from them; the handlers are the files their `vouch:entry` metadata names; every AWS call is
 * authorised by the role's policies and answered by a stateful fake.
 */
import { fileURLToPath } from 'node:url';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BuildRepository } from '../adapters/dynamo/buildRepository.ts';
import { type LocalTable, localDynamoClient, startLocalTable } from '../adapters/local/dynalite.ts';
import { TwinAlb } from './alb.ts';
import { installScaledTime } from './clock.ts';
import { type CustomResourceOutcome, createCustomResources } from './customResources.ts';
import { TwinTemplateError } from './errors.ts';
import { TwinCloudWatch } from './fakes/cloudWatch.ts';
import { TwinCodeBuild } from './fakes/codeBuild.ts';
import { dynamoFake } from './fakes/dynamo.ts';
import { type Ec2Timings, type LaunchTemplateContents, TwinEc2 } from './fakes/ec2.ts';
import { type LoadBalancerContents, TwinElb } from './fakes/elb.ts';
import { TwinEventBridge } from './fakes/eventBridge.ts';
import { TwinLambdaService } from './fakes/lambdaService.ts';
import { TwinS3 } from './fakes/s3.ts';
import { TwinScheduler } from './fakes/scheduler.ts';
import { TwinSecretsManager } from './fakes/secretsManager.ts';
import { TwinSlack } from './fakes/slack.ts';
import { TwinSns } from './fakes/sns.ts';
import { TwinFaults } from './faults.ts';
import { type ArtifactResolver, commitSourceResolver, TwinInstances } from './instances.ts';
import { type InvocationRecord, TwinLambdas } from './lambdaRunner.ts';
import { TwinSdk } from './sdk.ts';
import { commitPackageResolver, type PackageResolver, TwinServiceFunctions } from './serviceFunctions.ts';
import { TwinStepFunctions } from './stepFunctions.ts';
import { TwinTempDirs } from './tempDirs.ts';
import { DeployedTemplates, type SynthesizedStack, synthesizeVouchApp } from './template.ts';

/** The repository root: `vouch:entry` paths are relative to it. */
export const TWIN_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface TwinOptions {
  /** The platform config to synthesize. @default examples/platform.yml */
  readonly configFile?: string;
  /** Already synthesized stacks (tests that edit a template); otherwise `configFile` is synthesized. */
  readonly stacks?: readonly SynthesizedStack[];
  /** The clock runs this many times faster than wall time. @default 1 */
  readonly timeScale?: number;
  /** Lambda's application log level for every function. @default ERROR */
  readonly logLevel?: string;
  readonly onInvocation?: (record: InvocationRecord) => void;
  /**
   * What the operator's launch template launches into (it is not in the templates).
   * @default subnet-0twin, sg-0twin, the example config's instance role
   */
  readonly launchTemplate?: LaunchTemplateContents;
  /** The operator's load balancer and listener. @default the example config's */
  readonly loadBalancer?: LoadBalancerContents;
  /** How long instances boot, builders run and images take, in twin time. @default see Ec2Timings */
  readonly ec2Timings?: Partial<Ec2Timings>;
  /**
   * Values of the secrets the templates name (created before `cdk deploy` on AWS), by name.
   * @default a random value for each (the twin's Slack accepts whatever token the secret holds)
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /**
   * The source folder of each repository a CodeBuild project builds (`owner/name` -> directory); a
   * build of a repository without one fails in DOWNLOAD_SOURCE, as a missing repository does.
   * @default example-org/orders -> examples/orders
   */
  readonly sources?: Readonly<Record<string, string>>;
  /**
   * The source of each commit an instance may run, as directories laid over each other (a release's
   * overlay after the service's own files). Given, instances run these instead of what the build
   * uploaded (CodeBuild copies a repository's folder, not a commit of it, so a story whose releases
   * differ by commit names them here). @default none: instances run the artifact the build uploaded
   */
  readonly commitSources?: ReadonlyMap<string, readonly string[]>;
  /** Turns a baked image's artifact URI into a directory to run. @default see commitSources */
  readonly resolveArtifact?: ArtifactResolver;
  /**
   * Where the instances' service logs go; the caller's, the twin leaves it. @default a new temporary
   * directory, removed when the twin stops
   */
  readonly logDir?: string;
  /**
   * The code a Lambda service's published package runs (UpdateFunctionCode from S3).
   * @default commitSources by the package's commit (`<service>/<commit>.zip`); without them, refused
   */
  readonly lambdaPackages?: PackageResolver;
  /**
   * The code each Lambda service's function runs before Vouch publishes (its version 1), by function.
   * @default orders-fn -> examples/orders
   */
  readonly lambdaInitialCode?: Readonly<Record<string, string>>;
}

const EXAMPLE_LOAD_BALANCER: LoadBalancerContents = {
  loadBalancerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/vouch-services/0123456789abcdef',
  listenerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/vouch-services/0123456789abcdef/0123456789abcdef',
};

const EXAMPLE_LAUNCH_TEMPLATE: LaunchTemplateContents = {
  subnetId: 'subnet-0twin',
  securityGroupId: 'sg-0twin',
  instanceRoleArn: 'arn:aws:iam::123456789012:role/vouch-service-instance',
};

export interface Twin {
  readonly templates: DeployedTemplates;
  readonly lambdas: TwinLambdas;
  readonly sdk: TwinSdk;
  readonly stepFunctions: TwinStepFunctions;
  readonly scheduler: TwinScheduler;
  readonly cloudWatch: TwinCloudWatch;
  readonly ec2: TwinEc2;
  readonly elb: TwinElb;
  /** The artifact bucket(s); `s3.artifactDirectory(uri)` unpacks an uploaded artifact for a builder. */
  readonly s3: TwinS3;
  readonly secrets: TwinSecretsManager;
  readonly sns: TwinSns;
  /** What the notifier posted to Slack (the twin's slack.com). */
  readonly slack: TwinSlack;
  /** The services' CodeBuild projects: StartBuild runs the buildspec as a local process. */
  readonly codeBuild: TwinCodeBuild;
  /**
   * The templates' event rules: alarm state changes (`cloudWatch.evaluateAlarms`, every minute once
   * `cloudWatch.startEvaluating()`) reach the alarm Lambda through the rule's pattern.
   */
  readonly eventBridge: TwinEventBridge;
  /** The processes the instances run. */
  readonly instances: TwinInstances;
  /** Faults a test arms: throttling, capacity, stalled calls, failing invocations (faults.ts). */
  readonly faults: TwinFaults;
  /** The listener's host rules as weighted proxies; fetch to their hosts reaches them. */
  readonly alb: TwinAlb;
  /** Lambda services' functions: versions, aliases with their weights (`routingHistory`), URLs. */
  readonly lambdaService: TwinLambdaService;
  /** Their data plane: fetch to an alias's URL or base URL runs the routed version's handler. */
  readonly serviceFunctions: TwinServiceFunctions;
  readonly table: LocalTable;
  /** The build table as the twin (not a Lambda) reads it: tests and the run log. */
  readonly builds: BuildRepository;
  /** The templates' custom resources as the deploy created them (the service registry). */
  readonly customResources: readonly CustomResourceOutcome[];
  stop(): Promise<void>;
}

export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const stacks =
    options.stacks ?? (await synthesizeVouchApp(options.configFile ?? `${TWIN_ROOT}examples/platform.yml`));
  const templates = new DeployedTemplates(stacks);
  const tables = templates.resourcesOfType('AWS::DynamoDB::Table');
  if (tables.length !== 1)
    throw new TwinTemplateError(`expected one DynamoDB table, the templates have ${tables.length}`);
  const [t] = tables as [(typeof tables)[number]];
  const table = await startLocalTable({ tableName: templates.ref(t.stackName, t.logicalId) });

  const sdk = new TwinSdk();
  const cloudWatch = new TwinCloudWatch(templates);
  const elb = new TwinElb(options.loadBalancer ?? EXAMPLE_LOAD_BALANCER);
  elb.deployTemplates(templates);
  const ec2 = new TwinEc2(options.launchTemplate ?? EXAMPLE_LAUNCH_TEMPLATE, options.ec2Timings);
  // Source copies, instances' working directories and the default log directory, removed by stop.
  const tempDirs = new TwinTempDirs();
  const instances = new TwinInstances(ec2, {
    resolveArtifact:
      options.resolveArtifact ??
      (options.commitSources
        ? commitSourceResolver(options.commitSources, tempDirs)
        : (uri) => s3.artifactDirectory(uri)),
    logDir: options.logDir ?? tempDirs.make('vouch-twin-logs-'),
    tempDirs,
  });
  const alb = new TwinAlb(elb, ec2, instances, cloudWatch);
  sdk.own(table.client);
  const twinDoc = sdk.own(
    DynamoDBDocumentClient.from(sdk.own(localDynamoClient(table.endpoint)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
  const builds = new BuildRepository({ client: twinDoc, tableName: table.tableName });
  const lambdas = new TwinLambdas(templates, {
    root: TWIN_ROOT,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
    onEmf: (doc) => cloudWatch.ingestEmf(doc),
  });
  const stepFunctions = new TwinStepFunctions(templates, lambdas);
  const s3 = new TwinS3(templates);
  const eventBridge = new TwinEventBridge(templates, lambdas);
  cloudWatch.onStateChange = (event) => eventBridge.putEvent(event);
  const secrets = new TwinSecretsManager(templates, options.secrets);
  const sns = new TwinSns(templates, lambdas);
  const slackTokenSecret = lambdas.byEntry('lambdas/handlers/notifier.ts').environment.SLACK_TOKEN_SECRET_ARN;
  const slack = new TwinSlack(() => (slackTokenSecret ? secrets.valueOf(slackTokenSecret) : undefined));
  await slack.start();
  const codeBuild = new TwinCodeBuild(templates, {
    s3,
    stepFunctions,
    sdk,
    dynamoEndpoint: table.endpoint,
    sources: options.sources ?? { 'example-org/orders': `${TWIN_ROOT}examples/orders` },
    timeScale: options.timeScale ?? 1,
  });
  await codeBuild.start();
  const scheduler = new TwinScheduler(templates, lambdas);
  const lambdaService = new TwinLambdaService();
  const packages = options.commitSources ? commitPackageResolver(options.commitSources, tempDirs) : undefined;
  const serviceFunctions = new TwinServiceFunctions(templates, lambdaService, cloudWatch, {
    resolvePackage:
      options.lambdaPackages ??
      packages ??
      (async (bucket, key) => {
        throw new TwinTemplateError(
          `the twin has no code for the package s3://${bucket}/${key}: give lambdaPackages or commitSources`,
        );
      }),
    initialCode: options.lambdaInitialCode ?? { 'orders-fn': `${TWIN_ROOT}examples/orders` },
  });
  sdk.register('dynamodb', dynamoFake(sdk, table.endpoint));
  sdk.register('states', stepFunctions.fake());
  sdk.register('scheduler', scheduler.fake());
  sdk.register('cloudwatch', cloudWatch.fake());
  sdk.register('ec2', ec2.fake());
  sdk.register('elasticloadbalancing', elb.fake());
  sdk.register('s3', s3.fake());
  sdk.register('secretsmanager', secrets.fake());
  sdk.register('sns', sns.fake());
  sdk.register('codebuild', codeBuild.fake());
  sdk.register('lambda', serviceFunctions.fake());
  sdk.install();
  alb.install();
  serviceFunctions.install();
  const restoreTime = installScaledTime(options.timeScale ?? 1);

  // The deploy's custom resources (the service registry): a failed one fails the deploy.
  let customResources: CustomResourceOutcome[];
  try {
    customResources = await createCustomResources(templates, lambdas);
  } catch (error) {
    await lambdas.settled();
    restoreTime();
    serviceFunctions.uninstall();
    sdk.uninstall();
    await codeBuild.stop();
    await slack.stop();
    await s3.stop();
    await table.close();
    await tempDirs.removeAll();
    throw error;
  }

  return {
    templates,
    lambdas,
    sdk,
    stepFunctions,
    scheduler,
    cloudWatch,
    ec2,
    elb,
    s3,
    secrets,
    sns,
    slack,
    codeBuild,
    eventBridge,
    instances,
    faults: new TwinFaults(sdk, lambdas),
    alb,
    lambdaService,
    serviceFunctions,
    table,
    builds,
    customResources,
    async stop() {
      for (const e of stepFunctions.executions.values()) if (e.status === 'RUNNING') e.abort();
      await Promise.allSettled([...stepFunctions.executions.values()].map((e) => e.done));
      scheduler.stop();
      cloudWatch.stopEvaluating();
      await codeBuild.stop();
      await lambdas.settled();
      serviceFunctions.uninstall();
      await alb.stop();
      await instances.stop();
      restoreTime();
      sdk.uninstall();
      await slack.stop();
      await s3.stop();
      await table.close();
      await tempDirs.removeAll();
    },
  };
}
