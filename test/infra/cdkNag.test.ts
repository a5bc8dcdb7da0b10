import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthVouch } from './support/vouchApp.ts';

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the whole app, and every acknowledgement carries a reason', () => {
    // Prepare: the app as bin/vouch.ts builds it, CDK's own CloudFormation validation on too.
    const { app } = synthVouch({ cloudFormationValidation: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act: synthesis runs every validation plugin and throws on any error finding.
    app.synth();
    const builtin = readFileSync(join(app.outdir, 'validation-report.json'), 'utf8');
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess: no error and no warning left, not even the ones synth tolerates.
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.resourceLogicalId} ${r.locations.join(',')}`),
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
    // CDK's own CloudFormation validation (schemas, dependency cycles) reported nothing either.
    const reports = (JSON.parse(builtin) as { pluginReports: { violations?: unknown[] }[] }).pluginReports;
    expect(reports.flatMap((r) => r.violations ?? [])).toEqual([]);
    const acknowledgements = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) expect(reason.length, id).toBeGreaterThan(40);
  }, 120_000); // synthesizing the whole app with every check takes ~25 s alone, more on a loaded machine
});
