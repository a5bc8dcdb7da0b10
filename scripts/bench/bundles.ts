// Lambda bundles: each handler's bundle size (esbuild with the options NodejsFunction uses, from
// lib/platform/bundling.ts) and its cold import time, bundled vs the unbundled TypeScript through tsx.
// Each import runs in a fresh `node` process (a cold container has an empty module cache); the figure
// is the median of VOUCH_BENCH_RUNS runs (default 3), timed inside the process around `import()`.
// All 24 Lambdas x 2 variants x 3 runs take a few minutes (the unbundled imports dominate).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { EC2_TARGET_ENV } from '../../lambdas/adapters/aws/target/config.ts';
import { TASK_TYPES } from '../../lambdas/core/pipeline/contract.ts';
import { BUNDLE_OPTIONS, handlerEntry, PROJECT_ROOT, taskEntry } from '../../lib/function/bundling.ts';
import { RUNTIME_ENV } from '../../lib/platform/runtimeEnvironment.ts';
import { EVENT_HANDLERS } from '../../lib/platform/taskPermissions.ts';
import { BenchmarkError } from './errors.ts';

const RUNS = Number(process.env.VOUCH_BENCH_RUNS ?? 3);
/** Comma-separated names (e.g. `task-deploy,webhook`) to measure only those; all by default. */
const ONLY = process.env.VOUCH_BENCH_LAMBDAS?.split(',').filter(Boolean);

/** Every Lambda the platform deploys: name -> entry. */
const LAMBDAS: [string, string][] = [
  ...TASK_TYPES.map((t): [string, string] => [`task-${t}`, taskEntry(t)]),
  ...EVENT_HANDLERS.map((h): [string, string] => [h, handlerEntry(h)]),
  ['costCollector', handlerEntry('costCollector')],
];

/** What the handlers read at module scope: plausible values, no AWS call is made by an import. */
const FAKE_ENV: Record<string, string> = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  [RUNTIME_ENV.buildTable]: 'vouch-builds',
  [RUNTIME_ENV.notificationTopicArn]: 'arn:aws:sns:eu-west-1:123456789012:vouch',
  [RUNTIME_ENV.windowScheduleGroup]: 'vouch-windows',
  [RUNTIME_ENV.windowEndFunctionArn]: 'arn:aws:lambda:eu-west-1:123456789012:function:window-end',
  [RUNTIME_ENV.windowEndRoleArn]: 'arn:aws:iam::123456789012:role/window-end',
  [RUNTIME_ENV.stateMachines]: JSON.stringify({
    ci: 'arn:aws:states:eu-west-1:123456789012:stateMachine:vouch-ci',
  }),
  [RUNTIME_ENV.services]: JSON.stringify([
    { name: 'orders', repo: 'o/orders', flavour: 'ci', team: 't', solution: 's' },
  ]),
  [RUNTIME_ENV.webhookSecretName]: 'vouch/webhook-secret',
  [RUNTIME_ENV.gitTokenSecretName]: 'vouch/git-token',
  [RUNTIME_ENV.buildProjectPrefix]: 'vouch-',
  [RUNTIME_ENV.artifactBucket]: 'vouch-artifacts-123456789012-eu-west-1',
  SLACK_TOKEN_SECRET_ARN: 'vouch/slack-token',
  TEAM_CHANNELS: JSON.stringify({ t: '#t' }),
  [EC2_TARGET_ENV.vpcId]: 'vpc-0123456789abcdef0',
  [EC2_TARGET_ENV.loadBalancerArn]:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/vouch/0123',
  [EC2_TARGET_ENV.listenerArn]:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/vouch/0123/4567',
  [EC2_TARGET_ENV.testDomain]: 'test.example.com',
  [EC2_TARGET_ENV.loadBalancerDnsName]: 'vouch.example.com',
  [EC2_TARGET_ENV.launchTemplateId]: 'lt-0123456789abcdef0',
  [EC2_TARGET_ENV.baseImageId]: 'ami-0123456789abcdef0',
};

/** Milliseconds to import `specifier` in a fresh node process, measured inside it. */
function coldImportMs(specifier: string, nodeArgs: string[], env: Record<string, string>): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  const ms = Number(result.stdout);
  if (result.status !== 0 || !Number.isFinite(ms)) {
    throw new BenchmarkError(
      `import of ${specifier} failed: ${result.stderr.split('\n').slice(0, 5).join('\n')}`,
    );
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

export async function run(): Promise<void> {
  const out = join(tmpdir(), `vouch-bench-bundles-${process.pid}`);
  mkdirSync(out, { recursive: true });
  const env = { ...FAKE_ENV, AWS_LAMBDA_FUNCTION_NAME: 'bench' };
  console.log(`${RUNS} cold imports per variant, median; each in a fresh node ${process.version} process`);
  console.log(
    `${'lambda'.padEnd(16)} ${pad('bundle KiB', 10)} ${pad('gzip KiB', 9)} ${pad('bundled ms', 11)} ${pad('tsx ms', 9)} ${pad('ratio', 6)}`,
  );
  const ratios: number[] = [];
  try {
    for (const [name, entry] of LAMBDAS.filter(([n]) => ONLY === undefined || ONLY.includes(n))) {
      const outfile = join(out, name, 'index.mjs');
      // The options NodejsFunction passes to esbuild (aws-lambda-nodejs bundling.ts), from BUNDLE_OPTIONS.
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        target: BUNDLE_OPTIONS.target,
        format: BUNDLE_OPTIONS.format,
        minify: BUNDLE_OPTIONS.minify,
        sourcemap: BUNDLE_OPTIONS.sourceMap,
        sourcesContent: BUNDLE_OPTIONS.sourcesContent,
        mainFields: [...BUNDLE_OPTIONS.mainFields],
        external: [...BUNDLE_OPTIONS.externalModules],
        banner: { js: BUNDLE_OPTIONS.banner },
        logLevel: 'silent',
      });
      const size = statSync(outfile).size;
      const gzip = gzipSync(readFileSync(outfile)).length;
      const bundled = median(
        Array.from({ length: RUNS }, () => coldImportMs(pathToFileURL(outfile).href, [], env)),
      );
      const unbundled = median(
        Array.from({ length: RUNS }, () => coldImportMs(pathToFileURL(entry).href, ['--import', 'tsx'], env)),
      );
      const ratio = bundled / unbundled;
      ratios.push(ratio);
      console.log(
        `${name.padEnd(16)} ${pad((size / 1024).toFixed(0), 10)} ${pad((gzip / 1024).toFixed(0), 9)} ${pad(bundled.toFixed(0), 11)} ${pad(unbundled.toFixed(0), 9)} ${pad(ratio.toFixed(2), 6)}`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(
    `median ratio bundled/unbundled import time: ${median(ratios).toFixed(2)} (below 1: the bundle loads faster)`,
  );
}
