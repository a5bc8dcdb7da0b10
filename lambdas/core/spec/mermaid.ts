import type { PipeSpec, StageSpec, TaskSpec } from './schema.ts';
import type { ServiceSpec } from './serviceSpec.ts';

/** What a service's own picture draws in place of the flavour's generic `each` and canary. */
export interface ServiceView {
  readonly service: string;
  /** The branch whose pushes start a run. */
  readonly trunk: string;
  /** The environments the release stage runs in, in order: the spec's non-ephemeral ones. */
  readonly releaseEnvironments: readonly string[];
  /** Traffic % of each canary step, and the step's verification window. */
  readonly canarySteps: readonly { readonly traffic: number; readonly windowSeconds: number }[];
  /** The verification window of a verify task outside the canary. */
  readonly windowSeconds: number;
}

/** A service's view of its pipe: the environments and canary steps its runs iterate on. */
export function serviceView(spec: ServiceSpec): ServiceView {
  const windowSeconds = spec.verification.windowSeconds;
  return {
    service: spec.service,
    trunk: spec.trunk,
    // As runConfig gives them to the release stage: the environments that are not ephemeral.
    releaseEnvironments: spec.environments.filter((e) => !e.ephemeral).map((e) => e.name),
    // As a canary window is configured: the step's own length, else the service's window.
    canarySteps: spec.canary.steps.map((s) => ({
      traffic: s.traffic,
      windowSeconds: s.windowSeconds ?? windowSeconds,
    })),
    windowSeconds,
  };
}

/** What a rendered picture is made of (for tests and the README's measurements). */
export interface MermaidSize {
  readonly nodes: number;
  readonly edges: number;
  readonly boxes: number;
}

/**
 * Draws a pipe as a Mermaid flowchart a person can read (`vouch show`; GitHub renders the same text as
 * a diagram). Stages are boxes with their tasks in order; a parallel stage's tasks sit side by side.
 * Failure paths are not drawn per task: one edge goes from the part that runs while all is well to
 * the part that always runs, and a stage with its own failure tasks (rollback) carries one note.
 *
 * With a service's view, the picture is that service's pipe: `each: releaseEnvironments` becomes one
 * box per environment (qa, prod) and a canary one node per traffic step (20 %, 50 %, 100 %).
 * Without it, the flavour is drawn generically. The exact state machine is `vouch show --asl`.
 */
export function pipeToMermaid(pipe: Pick<PipeSpec, 'first' | 'main' | 'last'>, view?: ServiceView): string {
  const lines: string[] = ['flowchart TD'];
  const used = new Set<string>();
  // Prefixed and made unique: Mermaid reserves words such as `end`, which is also a stage name here.
  const idOf = (kind: string, ...parts: (string | number)[]): string => {
    const base = `${kind}_${parts.join('_').replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    return id;
  };
  const text = (s: string) => s.replace(/"/g, "'");

  /** A box drawn for a stage (or one environment of it): the id edges attach to, and its lines. */
  interface Box {
    readonly id: string;
    readonly lines: string[];
  }

  const taskNode = (task: TaskSpec, id: string, step?: ServiceView['canarySteps'][number]): string => {
    if (task.type === 'canary') {
      if (step) {
        return `${id}["${text(`${task.name} ${step.traffic} %`)}<br/><small>shift, ${step.windowSeconds} s window, judge</small>"]`;
      }
      return `${id}["${text(task.name)}<br/><small>each of canary.steps: shift traffic, window, judge</small>"]`;
    }
    const detail = taskDetail(task);
    if (view && task.type === 'verify') detail.push(`${view.windowSeconds} s window`);
    const small = detail.length > 0 ? `<br/><small>${text(detail.join(', '))}</small>` : '';
    return `${id}["${text(task.name)}${small}"]`;
  };

  /** The tasks of a stage, in order (or side by side), inside a box titled `title`. */
  const stageBox = (stage: StageSpec, title: string, suffix: string[], indent: string): Box => {
    const id = idOf('stage', stage.stage, ...suffix);
    // Tasks one after another run left to right, so a pipe reads as one row per stage; a parallel
    // stage's tasks stand side by side under its title.
    const direction = stage.parallel ? 'TB' : 'LR';
    const out: string[] = [`${indent}subgraph ${id}["${text(title)}"]`, `${indent}  direction ${direction}`];
    let previous: string | undefined;
    // `acquire` tasks (the deploy lock) run first, outside the stage's rollback scope.
    for (const task of [...stage.acquire, ...stage.tasks]) {
      const steps = task.type === 'canary' && view ? view.canarySteps : [undefined];
      for (const step of steps) {
        const node = idOf('task', task.name, ...suffix, ...(step ? [step.traffic] : []));
        out.push(`${indent}  ${taskNode(task, node, step)}`);
        if (previous && !stage.parallel) out.push(`${indent}  ${previous} --> ${node}`);
        previous = node;
      }
    }
    if (stage.onFailure.length > 0) {
      const note = idOf('onfailure', stage.stage, ...suffix);
      const tasks = stage.onFailure.map((t) => t.name).join(' → ');
      out.push(`${indent}  ${note}>"${text(`if a task fails: ${tasks}`)}"]`);
    }
    out.push(`${indent}end`);
    return { id, lines: out };
  };

  /** A stage as one box, or with `each` and a service's view, one box per environment. */
  const stageBoxes = (stage: StageSpec, indent: string): Box[] => {
    const [only, ...more] = stage.tasks;
    if (only && more.length === 0 && only.type !== 'canary' && !stage.each && stage.onFailure.length === 0) {
      // A box around one task would only repeat it (stage build around task build).
      const id = idOf('task', only.name);
      return [{ id, lines: [`${indent}${taskNode(only, id)}`] }];
    }
    if (!stage.each) return [stageBox(stage, stageTitle(stage), [], indent)];
    if (!view) return [stageBox(stage, `${stage.stage}: each of ${stage.each}, one at a time`, [], indent)];
    return view.releaseEnvironments.map((env) => stageBox(stage, `${stage.stage} to ${env}`, [env], indent));
  };

  const section = (stages: readonly StageSpec[], id: string, title: string): Box | undefined => {
    const boxes = stages.flatMap((s) => stageBoxes(s, '    '));
    if (boxes.length === 0) return undefined;
    const out = [`  subgraph ${id}["${title}"]`, '    direction TB'];
    boxes.forEach((box, i) => {
      out.push(...box.lines);
      const next = boxes[i + 1];
      if (next) out.push(`    ${box.id} --> ${next.id}`);
    });
    out.push('  end');
    return { id, lines: out };
  };

  const main = section([...pipe.first, ...pipe.main], 'while_well', 'while all is well');
  const last = section(pipe.last, 'always', 'always, also after a failure');
  const outcome = 'outcome(["SUCCEEDED, or FAILED with the first error"])';
  lines.push(`  push(["${view ? text(`${view.service}: push to ${view.trunk}`) : 'push to trunk'}"])`);
  if (main) lines.push(...main.lines);
  if (last) lines.push(...last.lines);
  lines.push(`  ${outcome}`);
  const chain = [main, last].filter((b): b is Box => b !== undefined).map((b) => b.id);
  lines.push(`  push --> ${chain[0] ?? 'outcome'}`);
  if (main && last) lines.push(`  ${main.id} -- "done, or at the first failure" --> ${last.id}`);
  if (chain.length > 0) lines.push(`  ${chain.at(-1)} --> outcome`);
  return lines.join('\n');
}

function stageTitle(stage: StageSpec): string {
  return stage.parallel ? `${stage.stage}: at the same time` : stage.stage;
}

/** What a task's label adds to its name: its type unless the name says it, then its params. */
function taskDetail(task: TaskSpec): string[] {
  const detail: string[] = [];
  if (task.name !== task.type && !task.name.startsWith(`${task.type}-`)) detail.push(task.type);
  for (const [key, value] of Object.entries(task.params)) {
    detail.push(`${key} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  return detail;
}

/** Counts what a Mermaid flowchart draws: nodes (boxes of subgraphs apart), edges, and subgraphs. */
export function mermaidSize(mermaid: string): MermaidSize {
  const nodes = new Set<string>();
  let edges = 0;
  let boxes = 0;
  for (const raw of mermaid.split('\n').slice(1)) {
    // Labels may hold any character: only ids and shapes matter here.
    const line = raw.replace(/"[^"]*"/g, '""').trim();
    if (line.startsWith('subgraph ')) {
      boxes++;
      continue;
    }
    if (/^\S+\s+(-->|-\.|--|==>)/.test(line)) edges++;
    for (const m of line.matchAll(/(?:^|\s)([A-Za-z0-9_]+)(?=[[({>])/g)) nodes.add(m[1] as string);
  }
  return { nodes: nodes.size, edges, boxes };
}
