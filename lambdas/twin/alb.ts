/**
 * The twin's load balancer data plane: one WeightedProxy (adapters/local/target/weightedProxy.ts, the
 * local platform's ALB stand-in) on 127.0.0.1 per host rule of the listener. A request goes to the rule's
 * forward target groups by their weights, and within a group to a registered instance whose process
 * runs (instances.ts). Each request is published as an ALB publishes it, per target group, into the
 * CloudWatch fake: AWS/ApplicationELB RequestCount, HTTPCode_Target_5XX_Count (only when a 5xx was
 * served) and TargetResponseTime (seconds), dimensions LoadBalancer `app/<name>/<id>` and TargetGroup
 * `targetgroup/<name>/<id>`. `install` makes global fetch reach the proxy of a rule's host, so the bot
 * Lambdas' requests to an environment's baseUrl land on it with the handler code unchanged.
 */

import { TAG } from '../adapters/aws/target/tags.ts';
import type { ProxyUpstream } from '../adapters/local/target/weightedProxy.ts';
import { WeightedProxy } from '../adapters/local/target/weightedProxy.ts';
import { TwinTemplateError } from './errors.ts';
import type { TwinCloudWatch } from './fakes/cloudWatch.ts';
import type { TwinEc2 } from './fakes/ec2.ts';
import { forwardWeights, ruleHosts, type TwinElb } from './fakes/elb.ts';
import type { TwinInstances } from './instances.ts';

interface HostProxy {
  readonly proxy: WeightedProxy;
  readonly listening: Promise<number>;
  /** The target group serving each proxy slot: the rule's first forward group is `baseline`. */
  groups: { baseline?: string; canary?: string };
  ruleArn: string;
}

/** The ALB metrics' dimension values: the ARN's resource part after `loadbalancer/` or `:`. */
export function albDimensions(loadBalancerArn: string, targetGroupArn: string) {
  return [
    { Name: 'LoadBalancer', Value: loadBalancerArn.slice(loadBalancerArn.indexOf(':loadbalancer/') + 14) },
    { Name: 'TargetGroup', Value: targetGroupArn.slice(targetGroupArn.lastIndexOf(':') + 1) },
  ];
}

export class TwinAlb {
  readonly proxies = new Map<string, HostProxy>();
  private originalFetch: typeof fetch | undefined;

  constructor(
    private readonly elb: TwinElb,
    private readonly ec2: TwinEc2,
    private readonly instances: TwinInstances,
    private readonly cloudWatch: TwinCloudWatch,
  ) {
    elb.useHealthCheck((id, path) => instances.health(id, path));
    elb.onChange(() => this.sync());
    instances.onChange(() => this.sync());
    this.sync();
  }

  /** The first registered target of a group whose process runs, as a proxy upstream. */
  private upstreamOf(groupArn: string | undefined): ProxyUpstream | undefined {
    const group = groupArn === undefined ? undefined : this.elb.targetGroups.get(groupArn);
    for (const id of group?.targets ?? []) {
      const address = this.instances.upstream(id);
      if (address === undefined) continue;
      const tags = this.ec2.instances.get(id)?.tags ?? {};
      return { ...address, version: tags[TAG.version] ?? '', image: tags[TAG.imageId] ?? '' };
    }
    return undefined;
  }

  /** Re-reads rules, weights, registrations and processes into the proxies. */
  sync(): void {
    const hosts = new Set<string>();
    for (const rule of this.elb.rules.values()) {
      const groups = forwardWeights(rule);
      if (groups.length === 0) continue;
      if (groups.length > 2)
        throw new TwinTemplateError(
          `the twin's load balancer routes to at most two target groups per rule (${rule.arn})`,
        );
      for (const host of ruleHosts(rule)) {
        hosts.add(host);
        let entry = this.proxies.get(host);
        if (entry === undefined) {
          const proxy: WeightedProxy = new WeightedProxy('127.0.0.1', (r) => {
            const served = this.proxies.get(host)?.groups[r.slot];
            if (served !== undefined) this.publish(served, r.status, r.latencyMs, r.at);
          });
          entry = { proxy, listening: proxy.listen(0), groups: {}, ruleArn: rule.arn };
          this.proxies.set(host, entry);
        }
        const [baseline, canary] = groups;
        entry.ruleArn = rule.arn;
        entry.groups = { baseline: baseline?.arn, canary: canary?.arn };
        const total = (baseline?.weight ?? 0) + (canary?.weight ?? 0);
        const canaryShare = total === 0 ? 0 : (100 * (canary?.weight ?? 0)) / total;
        if (entry.proxy.picker.weight !== canaryShare) entry.proxy.picker.setCanaryWeight(canaryShare);
        entry.proxy.setUpstream('baseline', this.upstreamOf(baseline?.arn));
        entry.proxy.setUpstream('canary', this.upstreamOf(canary?.arn));
      }
    }
    for (const [host, entry] of this.proxies) {
      if (hosts.has(host)) continue;
      this.proxies.delete(host);
      void entry.listening.then(() => entry.proxy.close());
    }
  }

  private publish(groupArn: string, status: number, latencyMs: number, at: number): void {
    const dimensions = albDimensions(this.elb.lb.loadBalancerArn, groupArn);
    const put = (name: string, value: number) =>
      this.cloudWatch.record('AWS/ApplicationELB', name, dimensions, value, at);
    put('RequestCount', 1);
    put('TargetResponseTime', latencyMs / 1000);
    if (status >= 500 && status < 600) put('HTTPCode_Target_5XX_Count', 1);
  }

  /** The proxy's loopback URL for a host a rule matches. */
  async urlOf(host: string): Promise<string | undefined> {
    const entry = this.proxies.get(host);
    if (entry === undefined) return undefined;
    await entry.listening;
    return entry.proxy.url;
  }

  /**
   * Global fetch to a host a listener rule matches goes to that rule's proxy (http on loopback, as the
   * ALB terminates TLS); any other request goes where it went before.
   */
  install(): void {
    if (this.originalFetch !== undefined) return;
    const original = globalThis.fetch;
    this.originalFetch = original;
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const proxyUrl = await this.urlOf(url.hostname);
      if (proxyUrl === undefined) return original(input, init);
      const target = `${proxyUrl}${url.pathname}${url.search}`;
      return input instanceof Request ? original(new Request(target, input), init) : original(target, init);
    };
  }

  uninstall(): void {
    if (this.originalFetch !== undefined) globalThis.fetch = this.originalFetch;
    this.originalFetch = undefined;
  }

  async stop(): Promise<void> {
    this.uninstall();
    const entries = [...this.proxies.values()];
    this.proxies.clear();
    await Promise.allSettled(entries.map((e) => e.listening.then(() => e.proxy.close())));
  }
}
