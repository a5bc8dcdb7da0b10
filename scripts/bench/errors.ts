/** Errors of the benchmarks. */

/** A benchmark's setup or a measured call did not do what is measured: its figure would mean nothing. */
export class BenchmarkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchmarkError';
  }
}
