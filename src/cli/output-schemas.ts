/**
 * The `--json` line of every command, as zod schemas: the CLI's output contract. Keys a command
 * always prints are required; optional ones say when they appear. `test/cli/json-output.test.ts`
 * runs each command and checks its line against its schema, so a change of output is a
 * deliberate change here.
 */
import { z } from 'zod';
import { searchResultSchema } from '../search/result.js';

const num = z.number();
const scores = z.record(z.string(), num.nullable());
/** Output of a command stopped by Ctrl-C (resumable). */
const stopped = z.looseObject({ stopped: z.literal(true), complete: z.literal(false), run: z.string().nullable().optional() });

/** Where `tsnas train` took an architecture from: a search run's trial. */
const trainedFrom = z.strictObject({ run: z.string(), trial: z.number().int() });

export const outputSchemas = {
  arch: z.union([
    z.strictObject({ arch: z.string(), space: z.string(), params: num, flops: num }),
    z.strictObject({ space: z.string(), seed: z.number().int(), archs: z.array(z.looseObject({ arch: z.string() })) }),
  ]),
  score: z.union([
    z.strictObject({
      results: z.array(z.strictObject({ arch: z.string(), scores, seconds: num })),
      proxies: z.array(z.string()),
      batch: z.number().int(),
      seed: z.number().int(),
      trainSteps: z.number().int(),
      wall_s: num,
    }),
    stopped,
  ]),
  correlate: z.union([
    z.looseObject({ n: z.number().int(), seed: z.number().int(), target: z.string(), batch: z.number().int(), trainSteps: z.number().int(), kendall: scores, spearman: scores, wall_s: num }),
    stopped,
  ]),
  search: searchResultSchema,
  train: z.union([
    z.strictObject({
      arch: z.string(),
      epochs: z.number().int(),
      complete: z.boolean(),
      stopped: z.literal(true).optional(),
      train_acc: num,
      test_acc: num,
      wall_s: num,
      train_loss: num,
      test_loss: num,
      params: num,
      flops: num,
      resumed_from: z.number().int(),
      out: z.string().nullable(),
      from: trainedFrom.optional(),
    }),
    z.strictObject({ arch: z.string(), epochs: z.literal(0), complete: z.literal(false), stopped: z.literal(true), out: z.string().nullable(), from: trainedFrom.optional() }),
    z.strictObject({ trained: z.array(z.looseObject({ arch: z.string(), from: trainedFrom })) }),
  ]),
  export: z.strictObject({
    out: z.string(),
    genotype: z.string(),
    params: num,
    flops: num,
    accuracy: z.record(z.string(), num),
    latency_ms: num,
    backend: z.string(),
    size_bytes: z.number().int(),
    classes: z.array(z.string()).nullable(),
    latency_browser_ms: num.optional(),
  }),
  'dtb build': z.strictObject({
    out: z.string(),
    done: z.number().int(),
    total: z.number().int(),
    trained_now: z.number().int(),
    complete: z.boolean(),
    stopped: z.literal(true).optional(),
    wall_s: num,
  }),
  'dtb export': z.strictObject({ file: z.string(), format: z.enum(['json', 'csv']), version: z.number().int(), archs: z.number().int(), epochs: z.number().int() }),
  'runs list': z.strictObject({
    store: z.string(),
    runs: z.array(z.strictObject({ id: z.string(), command: z.string(), status: z.string(), seed: z.number().int().nullable(), trials: z.number().int(), created: z.string() })),
  }),
  'runs show': z.looseObject({
    id: z.string(),
    command: z.string(),
    status: z.string(),
    argv: z.array(z.string()),
    trials: z.array(z.looseObject({ idx: z.number().int(), arch: z.string() })),
    metrics: z.array(z.unknown()),
  }),
  'runs rm': z.strictObject({ removed: z.string() }),
  report: z.strictObject({ run: z.string(), out: z.string(), bytes: z.number().int(), charts: z.array(z.strictObject({ id: z.string(), kind: z.string(), title: z.string() })) }),
} as const;

/** A command with a described `--json` output (subcommands written with a space: 'dtb build'). */
export type OutputCommand = keyof typeof outputSchemas;
