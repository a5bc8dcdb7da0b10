// Shared test setup: aws-sdk-client-mock matchers (toReceiveCommandWith ...) and the
// Promise.withResolvers polyfill the local Step Functions engine needs on Node 20.
import 'aws-sdk-client-mock-vitest/extend';
import '../lambdas/adapters/local/polyfills.ts';
