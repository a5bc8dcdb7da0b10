import { relative } from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { StackDefinitionError } from '../config/errors.ts';
import { BUNDLE_OPTIONS, PROJECT_ROOT } from './bundling.ts';

/**
 * Template metadata key naming the handler file a function bundles (relative to the repository root):
 * the twin (lambdas/twin) runs that file for the function, whether or not the synth bundled it.
 */
export const ENTRY_METADATA_KEY = 'vouch:entry';

/** CloudWatch namespace of the Powertools metrics every Vouch Lambda emits. */
export const POWERTOOLS_METRICS_NAMESPACE = 'Vouch';

export interface VouchFunctionProps {
  /** Absolute path of the handler file; it exports `handler`. */
  readonly entry: string;
  /** Powertools service name (logs, metrics, traces), e.g. `vouch-task-version`. */
  readonly serviceName: string;
  readonly description?: string;
  /** @default {} (the Powertools variables are always set) */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Bundle the entry with esbuild. `false` deploys a stub instead: for fine-grained infra tests that
   * need the template, not the code (one test synthesises with real bundles).
   * @default true
   */
  readonly bundle?: boolean;
  /** On-failure destination of asynchronous invocations (the event with its error). @default none */
  readonly onFailure?: sqs.IQueue;
}

/**
 * A Vouch Lambda: NodejsFunction bundled by esbuild (minified, source maps, tree-shaken ESM), nodejs22.x
 * on ARM64, X-Ray tracing, Powertools environment, its own log group with retention, and its own role
 * that may only write to that log group until the stack grants exactly what the handler calls.
 */
export class VouchFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VouchFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: logs go to this function's group only.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.serviceName}`,
    });
    this.logGroup.grantWrite(this.role);

    checkEnvironmentSize(props.serviceName, props.environment ?? {});
    const bundle = props.bundle ?? true;
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      ...(bundle ? {} : { code: lambda.Code.fromInline(STUB), handler: 'index.handler' }),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      role: this.role,
      ...(props.onFailure ? { onFailure: queueDestination(props.onFailure) } : {}),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Stack traces through the bundle's source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      // Pinned, not NODEJS_LATEST: the runtime the code is built for (esbuild target) and tested on.
      bundling: {
        target: BUNDLE_OPTIONS.target,
        minify: BUNDLE_OPTIONS.minify,
        sourceMap: BUNDLE_OPTIONS.sourceMap,
        sourcesContent: BUNDLE_OPTIONS.sourcesContent,
        format: OutputFormat.ESM,
        mainFields: [...BUNDLE_OPTIONS.mainFields],
        externalModules: [...BUNDLE_OPTIONS.externalModules],
        banner: BUNDLE_OPTIONS.banner,
      },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(
      ENTRY_METADATA_KEY,
      relative(PROJECT_ROOT, props.entry),
    );
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x (Active LTS, supported by Lambda) on purpose: the esbuild target and the Node line the project is developed and tested on; moving to nodejs24.x is a deliberate upgrade with the local toolchain, not a silent change at deploy time.',
    });
  }
}

/**
 * An SQS on-failure destination that grants only sqs:SendMessage, which is all Lambda calls to deliver
 * the failed event (aws-lambda-destinations' SqsDestination also grants GetQueueAttributes and GetQueueUrl).
 */
function queueDestination(queue: sqs.IQueue): lambda.IDestination {
  return {
    bind: (_scope, fn) => {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
      return { destination: queue.queueArn };
    },
  };
}

// The stub that `bundle: false` deploys: answers nothing useful, so it is never mistaken for the handler.
const STUB =
  "exports.handler = async () => { throw new Error('vouch: stub code, synthesised without bundling'); };";

/** Lambda: "The total size of all environment variables doesn't exceed 4 KB" (Lambda quotas). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** An unresolved reference (an ARN, a name) is counted at this many bytes: the longest an ARN here gets. */
const TOKEN_ESTIMATE_BYTES = 256;

/**
 * Refuses at synth a function whose variables would not fit Lambda's 4 KB, naming it, instead of a
 * deploy failing in CloudFormation. References are counted at their longest.
 */
function checkEnvironmentSize(serviceName: string, environment: Readonly<Record<string, string>>): void {
  const estimate = (text: string) =>
    Buffer.byteLength(text.replace(/\$\{Token\[[^\]]+\]\}/g, 'x'.repeat(TOKEN_ESTIMATE_BYTES)));
  // The Powertools variables VouchFunction adds, counted generously.
  const size = 256 + Object.entries(environment).reduce((n, [k, v]) => n + estimate(k) + estimate(v), 0);
  if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new StackDefinitionError(
      `${serviceName}: its environment variables take about ${size} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}; for the webhook, that is the service registry (fewer or shorter service entries)`,
    );
  }
}
