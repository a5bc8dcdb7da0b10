// The CDK app: `npx cdk synth` / `npx cdk deploy`. Reads the platform config named by the context key
// `vouch:platformConfig` (cdk.json: examples/platform.yml; override with `-c vouch:platformConfig=path`).
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { compileFlavour, FLAVOURS } from '../lambdas/core/spec/index.ts';
import { buildVouchApp } from '../lib/app/index.ts';
import { requireCostTags } from '../lib/aspects/index.ts';
import { loadPlatformConfig, MissingPrerequisiteError, PlatformConfigError } from '../lib/config/index.ts';

// Service stacks import the bot Lambda's ARN from the platform stack: strong references (an export
// CloudFormation will not delete while a service stack uses it), stated rather than defaulted.
const app = new App({ postCliContext: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
const configFile = resolve(String(app.node.tryGetContext('vouch:platformConfig') ?? 'examples/platform.yml'));
try {
  const config = loadPlatformConfig(configFile, FLAVOURS);
  const flavours = new Map<string, object>(FLAVOURS.map((name) => [name, compileFlavour(name)]));
  // `-c vouch:bundle=false` synthesises with stub code: a quick look at the template, never a deploy.
  const bundle = String(app.node.tryGetContext('vouch:bundle') ?? 'true') !== 'false';
  buildVouchApp(app, { config, flavours, bundle });
  requireCostTags(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  if (error instanceof PlatformConfigError || error instanceof MissingPrerequisiteError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
