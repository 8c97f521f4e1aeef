/**
 * The fixed list of tasks a worker runs. A job carries data, never code: a task kind from this
 * list and a payload its zod schema accepts; anything else fails that job alone. The payload names
 * a dataset, never a path: each worker maps the name to its own data directory.
 *
 *  - `score`: proxy scores of one architecture with the scoring settings (tsnas score, naswot);
 *  - `evaluate`: objective values of one architecture that need a network (accuracy:trained,
 *    das/naswot, latency:measured), for the multi-objective strategies;
 *  - `train`: one architecture trained from scratch with a recipe, every epoch recorded (one
 *    architecture of `tsnas dtb build`);
 *  - `noop`: nothing, for measuring the queue's own cost per job.
 *
 * Schemas only (cheap to import for the coordinator); what each task does is in task-runners.ts,
 * loaded by the worker's child processes.
 */
import { z } from 'zod';

/** What every scoring or training job needs to load the same images as the coordinator would. */
export const dataSettingsSchema = z.object({
  seed: z.number().int().min(0),
  dataset: z.enum(['cifar10', 'fashion-mnist', 'synthetic', 'folder']).optional(),
  dataLimit: z.number().int().min(1).optional(),
  imageSize: z.number().int().min(1).optional(),
  valSplit: z.number().gt(0).optional(),
  color: z.enum(['rgb', 'gray']).optional(),
  classNames: z.string().optional(),
  batch: z.number().int().min(2),
  trainSteps: z.number().int().min(0),
  trainLr: z.number().min(0),
  trainBatch: z.number().int().min(1),
});

/** The data and scoring settings of a job. */
export type DataSettings = z.output<typeof dataSettingsSchema>;

const archField = z.string().min(1).max(100_000);

/** `score`: one architecture's proxy scores. */
export const scorePayloadSchema = z.object({
  space: z.string().min(1),
  arch: archField,
  proxies: z.array(z.string().min(1)).min(1),
  settings: dataSettingsSchema,
});

/** Any number, NaN and ±∞ included (zod's number refuses the infinities). */
const anyNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number');

/** Scores as numbers; non-finite ones (a disconnected cell's NASWOT) survive through the result encoding. */
export const scoreResultSchema = z.object({ arch: z.string(), scores: z.record(z.string(), anyNumber), seconds: z.number() });

/** Objectives a worker evaluates: the ones that build a network or train it (table and user objectives stay with the coordinator). */
export const REMOTE_OBJECTIVE_SOURCES = ['trained', 'proxy', 'measured'] as const;

/** `evaluate`: objective values of one architecture, in the order of `objectives`. */
export const evaluatePayloadSchema = z.object({
  space: z.string().min(1),
  arch: archField,
  objectives: z.array(z.string().min(1)).min(1),
  settings: dataSettingsSchema.extend({
    preset: z.enum(['cpu-small', 'paper', 'tiny']).optional(),
    latencyBatch: z.number().int().min(1).optional(),
    latencyReps: z.number().int().min(1).optional(),
  }),
});

export const evaluateResultSchema = z.object({ values: z.array(anyNumber) });

/** A DTB build's data: a dataset by name (a folder dataset's held-out split only: a test folder would be a path). */
const trainDataSchema = z.object({
  dataset: z.enum(['cifar10', 'fashion-mnist', 'synthetic', 'folder']),
  imageSize: z.number().int().min(1).optional(),
  trainLimit: z.number().int().min(1).optional(),
  testLimit: z.number().int().min(1).optional(),
  folder: z
    .object({ valSplit: z.number().gt(0).optional(), color: z.enum(['rgb', 'gray']).optional(), classNames: z.string().optional() })
    .strict()
    .optional(),
});

/** The training recipe (train/trainer.ts's TrainRecipe), every field given. */
const recipeSchema = z.object({
  epochs: z.number().int().min(1),
  batch: z.number().int().min(1),
  lr: z.number().min(0),
  lrMin: z.number().min(0),
  momentum: z.number().min(0),
  nesterov: z.boolean(),
  weightDecay: z.number().min(0),
  gradClip: z.number().min(0),
  cropPadding: z.number().int().min(0),
  flip: z.boolean(),
  cutout: z.number().int().min(0),
  dropPath: z.number().min(0),
  auxWeight: z.number().min(0),
  labelSmoothing: z.number().min(0),
  evalBatch: z.number().int().min(1),
  seed: z.number().int(),
});

/** `train`: one architecture trained from scratch (no checkpoints: a retried job starts over, with the same seeds). */
export const trainPayloadSchema = z.object({
  net: z.object({
    space: z.string().min(1),
    arch: archField,
    C: z.number().int().min(1).optional(),
    N: z.number().int().min(1).optional(),
    layers: z.number().int().min(1).optional(),
    auxiliary: z.boolean().optional(),
    initSeed: z.number().int(),
  }),
  data: trainDataSchema,
  recipe: recipeSchema,
});

const epochSchema = z.object({ epoch: z.number().int(), lr: anyNumber, train_loss: anyNumber, train_acc: anyNumber, val_loss: anyNumber, val_acc: anyNumber, epoch_s: anyNumber, wall_s: anyNumber });

/** What a DTB records of one architecture, less its index and seed (the coordinator knows them). */
export const trainResultSchema = z.object({ arch: z.string(), params: z.number(), flops: z.number(), epochs: z.array(epochSchema) });

/** `noop`: returns its input; the queue's overhead per job with no work. */
export const noopPayloadSchema = z.object({ n: z.number().int() });
export const noopResultSchema = z.object({ n: z.number().int() });

/** The task kinds and their schemas, keyed by kind. */
export const TASKS = {
  score: { payload: scorePayloadSchema, result: scoreResultSchema },
  evaluate: { payload: evaluatePayloadSchema, result: evaluateResultSchema },
  train: { payload: trainPayloadSchema, result: trainResultSchema },
  noop: { payload: noopPayloadSchema, result: noopResultSchema },
} as const;

/** A task kind of {@link TASKS}. */
export type TaskKind = keyof typeof TASKS;

/** The payload type of a task kind. */
export type TaskPayload<K extends TaskKind> = z.output<(typeof TASKS)[K]['payload']>;

/** The result type of a task kind. */
export type TaskResult<K extends TaskKind> = z.output<(typeof TASKS)[K]['result']>;

/** What a job's data holds: the run it belongs to, the task kind, the payload. */
export interface JobData {
  run: string;
  kind: string;
  payload: unknown;
}

/** Whether `kind` is a known task kind. */
export function isTaskKind(kind: unknown): kind is TaskKind {
  return typeof kind === 'string' && Object.hasOwn(TASKS, kind);
}

/**
 * Check a job's kind and payload; the error is one line naming the problem (the job fails with
 * it, and the worker goes on with the next one).
 */
export function checkJob(data: unknown): { kind: TaskKind; payload: unknown } {
  const d = (data ?? {}) as Partial<JobData>;
  if (!isTaskKind(d.kind)) throw new Error(`unknown task kind ${JSON.stringify(d.kind)} (known: ${Object.keys(TASKS).join(', ')})`);
  const parsed = TASKS[d.kind].payload.safeParse(d.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`bad ${d.kind} payload: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  }
  return { kind: d.kind, payload: parsed.data };
}
