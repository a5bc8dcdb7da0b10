/** The three cost-allocation tags every resource Vouch creates carries, on AWS and on one machine. */
export interface ResourceTags {
  readonly service: string;
  readonly team: string;
  readonly solution: string;
}

export const TAG_KEYS = ['service', 'team', 'solution'] as const;
