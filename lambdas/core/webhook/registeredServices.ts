import type { LoadSpec } from './types.ts';

/** A service as the platform config registers it (VOUCH_SERVICES on AWS). */
export interface RegisteredService {
  readonly name: string;
  readonly repo: string;
  readonly flavour: string;
  readonly team: string;
  readonly solution: string;
}

/**
 * Only repos the platform team registered start pipelines, and their `.vouch.yml` must agree with the
 * registration: the platform config is the source of the cost tags (team, solution) and of the state
 * machine (flavour), so a repo cannot bill another team or pick another pipe by editing its own file.
 */
export function registeredSpecLoader(services: readonly RegisteredService[], load: LoadSpec): LoadSpec {
  // GitHub and GitLab repo paths are case-insensitive.
  const byRepo = new Map(services.map((s) => [s.repo.toLowerCase(), s]));
  return async (repo, commit, host) => {
    const registered = byRepo.get(repo.toLowerCase());
    if (registered === undefined) return { found: false, reason: `${repo} is not a registered service repo` };
    const spec = await load(repo, commit, host);
    if (!spec.found) return spec;
    const expected = {
      service: registered.name,
      team: registered.team,
      solution: registered.solution,
      pipe: registered.flavour,
    };
    for (const [key, value] of Object.entries(expected) as [keyof typeof expected, string][]) {
      if (spec[key] !== value) {
        return {
          found: false,
          invalid: true,
          reason: `${key} is ${spec[key]} in .vouch.yml but ${value} in the platform config; make them agree`,
        };
      }
    }
    return spec;
  };
}
