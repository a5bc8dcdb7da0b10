import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StackDefinitionError } from '../config/errors.ts';

/** `${TaskFn_<type>}`: how the compiler's ASL names the Lambda of a task type. */
export const TASK_FUNCTION_PLACEHOLDER = /\$\{(TaskFn_[A-Za-z0-9]+)\}/g;

/** The `definitionSubstitutions` keys a definition uses, sorted. */
export function placeholdersOf(definition: unknown): string[] {
  const text = JSON.stringify(definition);
  return [...new Set([...text.matchAll(TASK_FUNCTION_PLACEHOLDER)].map((m) => m[1] ?? ''))].sort();
}

export interface PipelineStateMachineProps {
  /** The flavour name; the state machine is named `vouch-<flavour>`. */
  readonly flavour: string;
  /** The compiler's ASL for the flavour, with `${TaskFn_<type>}` placeholders. */
  readonly definition: object;
  /** The Lambda of each task type, by type; must cover every placeholder of the definition. */
  readonly taskFunctions: ReadonlyMap<string, lambda.IFunction>;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * One pipe flavour on AWS: a Standard state machine whose definition is the compiler's output as is,
 * the Lambda ARNs filled in by `definitionSubstitutions`. Logs ALL events with execution data, traced
 * with X-Ray, and allowed to invoke exactly the Lambdas its definition names.
 */
export class PipelineStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** The task types this flavour uses. */
  readonly taskTypes: readonly string[];

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const placeholders = placeholdersOf(props.definition);
    const substitutions: Record<string, string> = {};
    const used: lambda.IFunction[] = [];
    for (const key of placeholders) {
      const type = key.slice('TaskFn_'.length);
      const fn = props.taskFunctions.get(type);
      if (fn === undefined) {
        throw new StackDefinitionError(
          `flavour ${props.flavour} uses task type "${type}", which has no Lambda`,
        );
      }
      substitutions[key] = fn.functionArn;
      used.push(fn);
    }
    this.taskTypes = placeholders.map((key) => key.slice('TaskFn_'.length));

    // The /aws/vendedlogs/ prefix keeps the CloudWatch Logs resource policy small (Step Functions logging docs).
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/vouch-${props.flavour}`,
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `vouch-${props.flavour}`,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(props.definition)),
      definitionSubstitutions: substitutions,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    if (used.length > 0) {
      // The unqualified ARN is what the definition invokes: no `:*` (versions, aliases) needed.
      this.stateMachine.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: used.map((fn) => fn.functionArn),
        }),
      );
    }
  }
}
