/**
 * One result shape for every strategy, described by a zod schema (the `--json` line of
 * `tsnas search` is checked against it in the tests). Strategy-specific details ride along as
 * extra keys (a differentiable search's `epochs` and `config`, NSGA-II's `generations`).
 */
import { z } from 'zod';

/** A member of a found Pareto front. */
export const paretoPointSchema = z.object({
  arch: z.string(),
  objectives: z.record(z.string(), z.number().nullable()),
  /** 1-based index of the evaluation that found it. */
  evaluation: z.number().int(),
  feasible: z.boolean(),
});

export type ParetoPoint = z.infer<typeof paretoPointSchema>;

/** What `search()` resolves with, and what `tsnas search --json` prints. */
export const searchResultSchema = z.looseObject({
  strategy: z.string(),
  space: z.string(),
  seed: z.number().int(),
  /** The search was stopped (Ctrl-C, an aborted signal) and can resume; `complete` is its negation. */
  stopped: z.boolean(),
  complete: z.boolean(),
  /**
   * The architecture the search picks, in the space's text form: the best-scored (naswot), the
   * derived cell (differentiable), the front's best in the first objective (multi-objective);
   * null when stopped before one exists.
   */
  genotype: z.string().nullable(),
  /** Architectures evaluated (scored, trained, looked up); for differentiable search, supernet epochs. */
  evaluations: z.number().int(),
  /** Wall time of this invocation's search, seconds. */
  wall_s: z.number(),
  /** The pick's NAS-Bench-201 values where the table knows it, else null. */
  bench: z.record(z.string(), z.number()).nullable(),
  /** The non-dominated evaluations (multi-objective strategies only). */
  pareto: z.array(paretoPointSchema).optional(),
  /** The store's run id, or null when nothing was stored. */
  run: z.string().nullable(),
});

export type SearchResult = z.infer<typeof searchResultSchema>;
