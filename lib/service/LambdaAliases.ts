import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface LambdaAliasesProps {
  /** The service's function (name or unqualified ARN), created outside Vouch. */
  readonly functionName: string;
  /** The lasting environments: one alias each, named after the environment (qa, prod). */
  readonly environments: readonly string[];
}

/**
 * A Lambda service's lasting environments: an alias per environment on a first published version of
 * the team's function. The Lambda deploy target then moves these aliases (`UpdateAlias`: version,
 * `AdditionalVersionWeights`, description); CloudFormation leaves them alone while this template does
 * not change them (the version resource has no property that changes), so a later deploy of the
 * service stack does not undo a release. Test environments are per-run aliases the pipeline creates.
 */
export class LambdaAliases extends Construct {
  readonly aliases: ReadonlyMap<string, lambda.CfnAlias>;
  readonly firstVersion: lambda.CfnVersion;

  constructor(scope: Construct, id: string, props: LambdaAliasesProps) {
    super(scope, id);
    this.firstVersion = new lambda.CfnVersion(this, 'FirstVersion', {
      functionName: props.functionName,
      description: 'Vouch: the version the lasting aliases start on',
    });
    const aliases = new Map<string, lambda.CfnAlias>();
    for (const environment of props.environments) {
      aliases.set(
        environment,
        new lambda.CfnAlias(this, `Alias-${environment}`, {
          functionName: props.functionName,
          name: environment,
          functionVersion: this.firstVersion.attrVersion,
        }),
      );
    }
    this.aliases = aliases;
  }
}
