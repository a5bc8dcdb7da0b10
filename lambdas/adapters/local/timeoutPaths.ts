/**
 * Step Functions resolves a Task state's TimeoutSecondsPath in the state's input ("a path in the state
 * input", Task state reference); aws-local-stepfunctions 3.0.0 resolves it in the Task's effective
 * Parameters instead. The engines built on that library (the local engine, the twin) run a copy of the
 * definition where each such path is also given to the Parameters, under RESOLVED_TIMEOUT_KEY, and the
 * field points there: the library then reads the value Step Functions would. A callback task's
 * handler reads only FunctionName and Payload, so the extra key reaches no task function.
 */
import type { AslState } from '../../core/spec/compile.ts';

/** Where the copied definition's Parameters carry the resolved TimeoutSecondsPath value. */
export const RESOLVED_TIMEOUT_KEY = 'VouchResolvedTimeoutSeconds';

interface States {
  readonly [name: string]: AslState;
}

function withResolvedTimeouts(states: States): Record<string, AslState> {
  const out: Record<string, AslState> = {};
  for (const [name, original] of Object.entries(states)) {
    const state: AslState = { ...original };
    const path = state.TimeoutSecondsPath;
    if (state.Type === 'Task' && typeof path === 'string' && typeof state.Parameters === 'object') {
      state.Parameters = { ...(state.Parameters as object), [`${RESOLVED_TIMEOUT_KEY}.$`]: path };
      state.TimeoutSecondsPath = `$.${RESOLVED_TIMEOUT_KEY}`;
    }
    const branches = state.Branches as { States: States }[] | undefined;
    if (branches) state.Branches = branches.map((b) => ({ ...b, States: withResolvedTimeouts(b.States) }));
    for (const key of ['ItemProcessor', 'Iterator'] as const) {
      const processor = state[key] as { States: States } | undefined;
      if (processor) state[key] = { ...processor, States: withResolvedTimeouts(processor.States) };
    }
    out[name] = state;
  }
  return out;
}

/** A copy of `definition` whose TimeoutSecondsPath fields aws-local-stepfunctions resolves as Step Functions does. */
export function forLocalStepFunctions<D extends { readonly States: object }>(definition: D): D {
  return { ...definition, States: withResolvedTimeouts(definition.States as States) };
}
