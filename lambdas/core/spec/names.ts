/**
 * The names a person types: the spec file and the shipped pipe flavours. Kept free of the schema
 * library (zod) so that what only prints them, such as `vouch --help`, does not load it.
 */

/** A service's spec, at the root of its repository. */
export const SPEC_FILE = '.vouch.yml';

/** Names of the flavours shipped in lambdas/core/spec/flavours/. */
export const FLAVOURS = ['ci', 'ec2-canary', 'lambda-canary'] as const;
export type FlavourName = (typeof FLAVOURS)[number];
