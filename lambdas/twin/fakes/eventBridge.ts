/**
 * EventBridge on the twin: the templates' AWS::Events::Rule resources with an EventPattern, on the
 * default bus. An event (a CloudWatch alarm's state change, as CloudWatch sends it) reaches each
 * target Lambda of each ENABLED rule whose pattern matches it, as an asynchronous invocation (how
 * EventBridge invokes Lambda), when the function's resource policy lets events.amazonaws.com invoke it
 * from that rule. Patterns follow "Creating event patterns" and "Content filtering" of the EventBridge
 * user guide: every field of the pattern must match; a list matches if any of its values does; an
 * event array field matches if any of its elements does; the content filters below are modelled and
 * any other is refused rather than guessed.
 */
import { randomUUID } from 'node:crypto';
import { TwinTemplateError } from '../errors.ts';
import type { TwinLambdas } from '../lambdaRunner.ts';
import type { DeployedTemplates } from '../template.ts';

type Pattern = { readonly [key: string]: unknown };

/** One value of a pattern list: a literal, or a content filter object. */
function matchesValue(filter: unknown, value: unknown, present: boolean): boolean {
  if (filter === null || typeof filter !== 'object') {
    // Literal: exact match of a string, number, boolean or null.
    return present && (Array.isArray(value) ? value.includes(filter) : value === filter);
  }
  const entries = Object.entries(filter as Record<string, unknown>);
  if (entries.length !== 1)
    throw new TwinTemplateError(`EventBridge content filter ${JSON.stringify(filter)}`);
  const [op, arg] = entries[0] as [string, unknown];
  if (op === 'exists') return present === arg;
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  const any = (test: (v: unknown) => boolean) => values.some(test);
  switch (op) {
    case 'prefix':
      if (typeof arg === 'object' && arg !== null && 'equals-ignore-case' in arg) {
        const p = String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase();
        return any((v) => typeof v === 'string' && v.toLowerCase().startsWith(p));
      }
      return any((v) => typeof v === 'string' && v.startsWith(String(arg)));
    case 'suffix':
      return any((v) => typeof v === 'string' && v.endsWith(String(arg)));
    case 'equals-ignore-case':
      return any((v) => typeof v === 'string' && v.toLowerCase() === String(arg).toLowerCase());
    case 'wildcard': {
      const re = new RegExp(
        `^${String(arg)
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
      return any((v) => typeof v === 'string' && re.test(v));
    }
    case 'anything-but': {
      // Matches anything but the given value(s) or prefix (a value that is none of them).
      if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
        return !any((v) => matchesValue(arg, v, true));
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !any((v) => excluded.includes(v));
    }
    case 'numeric': {
      const conditions = arg as (string | number)[];
      return any((v) => {
        if (typeof v !== 'number') return false;
        for (let i = 0; i < conditions.length; i += 2) {
          const [cmp, n] = [conditions[i], Number(conditions[i + 1])];
          const ok =
            cmp === '='
              ? v === n
              : cmp === '<'
                ? v < n
                : cmp === '<='
                  ? v <= n
                  : cmp === '>'
                    ? v > n
                    : cmp === '>='
                      ? v >= n
                      : undefined;
          if (ok === undefined) throw new TwinTemplateError(`EventBridge numeric operator ${String(cmp)}`);
          if (!ok) return false;
        }
        return true;
      });
    }
    default:
      throw new TwinTemplateError(`the twin's EventBridge does not model the content filter "${op}"`);
  }
}

/** Whether `event` matches `pattern` (EventBridge event pattern semantics). */
export function matchesEventPattern(pattern: Pattern, event: unknown): boolean {
  const object = (event ?? {}) as Record<string, unknown>;
  for (const [key, filter] of Object.entries(pattern)) {
    const present = typeof object === 'object' && key in object;
    const value = present ? object[key] : undefined;
    if (Array.isArray(filter)) {
      if (filter.length === 0)
        throw new TwinTemplateError(`EventBridge pattern field ${key} is an empty list`);
      if (!filter.some((f) => matchesValue(f, value, present))) return false;
    } else if (filter !== null && typeof filter === 'object') {
      if (!present || value === null || typeof value !== 'object') {
        // A nested pattern matches a missing object only if all its filters are `exists: false`.
        if (!matchesEventPattern(filter as Pattern, {})) return false;
        continue;
      }
      if (!matchesEventPattern(filter as Pattern, value)) return false;
    } else {
      throw new TwinTemplateError(`EventBridge pattern field ${key}: a value must be a list or an object`);
    }
  }
  return true;
}

export interface TwinRule {
  readonly name: string;
  readonly arn: string;
  readonly pattern: Pattern;
  readonly enabled: boolean;
  readonly targets: readonly string[];
}

export interface EventDelivery {
  readonly rule: string;
  readonly target: string;
  readonly event: Record<string, unknown>;
}

export class TwinEventBridge {
  readonly rules: TwinRule[] = [];
  /** Every event put on the bus, matched or not. */
  readonly events: Record<string, unknown>[] = [];
  readonly deliveries: EventDelivery[] = [];

  constructor(
    templates: DeployedTemplates,
    private readonly lambdas: TwinLambdas,
  ) {
    const permissions = templates
      .resourcesOfType('AWS::Lambda::Permission')
      .map(
        ({ stackName, resource }) =>
          templates.resolve(stackName, resource.Properties) as Record<string, string>,
      );
    for (const { stackName, logicalId, resource } of templates.resourcesOfType('AWS::Events::Rule')) {
      const p = templates.resolve(stackName, resource.Properties) as {
        EventPattern?: Pattern;
        State?: string;
        EventBusName?: string;
        Targets?: { Arn: string; Input?: string; InputPath?: string; InputTransformer?: unknown }[];
      };
      if (p.EventPattern === undefined) continue; // a schedule rule (cron), not an event rule
      if (p.EventBusName !== undefined && p.EventBusName !== 'default')
        throw new TwinTemplateError(`rule ${logicalId}: the twin models the default event bus only`);
      const arn = templates.getAtt(stackName, logicalId, 'Arn');
      const targets = (p.Targets ?? []).map((t) => {
        if (t.Input !== undefined || t.InputPath !== undefined || t.InputTransformer !== undefined)
          throw new TwinTemplateError(`rule ${logicalId}: the twin delivers the matched event itself only`);
        const allowed = permissions.some(
          (perm) =>
            perm.Action === 'lambda:InvokeFunction' &&
            perm.Principal === 'events.amazonaws.com' &&
            perm.FunctionName === t.Arn &&
            (perm.SourceArn === undefined || perm.SourceArn === arn),
        );
        if (!allowed)
          throw new TwinTemplateError(
            `rule ${logicalId}: no AWS::Lambda::Permission lets events.amazonaws.com invoke ${t.Arn}`,
          );
        return t.Arn;
      });
      this.rules.push({
        name: templates.ref(stackName, logicalId),
        arn,
        pattern: p.EventPattern,
        enabled: (p.State ?? 'ENABLED') === 'ENABLED',
        targets,
      });
    }
  }

  /** An event on the default bus: each matching enabled rule invokes its targets asynchronously. */
  putEvent(event: Record<string, unknown>): EventDelivery[] {
    const full = { version: '0', id: randomUUID(), ...event };
    this.events.push(full);
    const delivered: EventDelivery[] = [];
    for (const rule of this.rules) {
      if (!rule.enabled || !matchesEventPattern(rule.pattern, full)) continue;
      for (const target of rule.targets) {
        this.lambdas.invokeAsync(target, full);
        delivered.push({ rule: rule.name, target, event: full });
      }
    }
    this.deliveries.push(...delivered);
    return delivered;
  }
}
