/**
 * What each task of tasks.ts does, run inside a worker's child process (task-process.ts). Data
 * sets, scoring contexts and built objectives are kept per settings, so a child that gets many
 * jobs of one run loads its images once.
 */
import { deploymentInput, folderOptionsFrom } from '../data/index.js';
import { backendInfo } from '../engine/backend.js';
import { buildObjectives, parseObjectives, requiredBackend, type ArchObjective, type ObjectiveContext } from '../objectives/index.js';
import { TRAINED_PRESETS, trainedAccuracyHook } from '../objectives/trained.js';
import { scoreArch, type ScoreContext } from '../proxies/index.js';
import { scoringContext } from '../search/scoring.js';
import { checkSpace, parseArch } from '../spaces/index.js';
import type { Dataset } from '../data/index.js';
import { dtbEpoch } from '../train/dtb.js';
import { loadRunData, runTraining } from '../train/run.js';
import { TsnasError } from '../util/errors.js';
import { REMOTE_OBJECTIVE_SOURCES, type DataSettings, type TaskKind, type TaskPayload, type TaskResult } from './tasks.js';

/** Where this worker keeps each dataset: a name's own directory, else the default one, else the dataset's default path. */
export interface DataDirs {
  byName: Record<string, string>;
  fallback?: string;
}

/**
 * Parse a worker's `--data-dir`: `DIR` (every dataset's files in one directory) or
 * `name=DIR,name=DIR` (one per dataset).
 */
export function parseDataDirs(text: string | undefined): DataDirs {
  if (!text) return { byName: {} };
  if (!text.includes('=')) return { byName: {}, fallback: text };
  const byName: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) throw new TsnasError(`--data-dir: '${part}' is not name=DIR`);
    byName[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { byName, fallback: undefined };
}

function dataDirFor(dirs: DataDirs, dataset: string | undefined): string | undefined {
  return dirs.byName[dataset ?? 'cifar10'] ?? dirs.fallback;
}

const scoreContexts = new Map<string, ScoreContext>();
const evaluators = new Map<string, ArchObjective[]>();

function scoreContextFor(s: DataSettings, dirs: DataDirs): ScoreContext {
  const key = JSON.stringify(s);
  let ctx = scoreContexts.get(key);
  if (!ctx) {
    ctx = scoringContext({ ...s, dataDir: dataDirFor(dirs, s.dataset) });
    scoreContexts.set(key, ctx);
  }
  return ctx;
}

function runScore(p: TaskPayload<'score'>, dirs: DataDirs): TaskResult<'score'> {
  const r = scoreArch(parseArch(checkSpace(p.space), p.arch), p.proxies, scoreContextFor(p.settings, dirs));
  return { arch: r.arch, scores: r.scores, seconds: r.seconds };
}

/** The objectives of an evaluate payload, built once per (space, objectives, settings) with the same hooks the local search installs. */
function evaluatorFor(p: TaskPayload<'evaluate'>, dirs: DataDirs): ArchObjective[] {
  const key = JSON.stringify([p.space, p.objectives, p.settings]);
  let objs = evaluators.get(key);
  if (objs) return objs;
  const space = checkSpace(p.space);
  const specs = parseObjectives(p.objectives.join(','));
  const local = specs.find((s) => !(REMOTE_OBJECTIVE_SOURCES as readonly string[]).includes(s.source ?? ''));
  if (local) throw new TsnasError(`objective '${local.raw}' is evaluated by the coordinator, not by a worker`);
  const need = requiredBackend(specs);
  const have = backendInfo()?.name;
  if (need && have !== need) throw new TsnasError(`objective latency:measured:${need} needs a worker started with --backend ${need} (this one runs ${have})`);
  const s = p.settings;
  const dataDir = dataDirFor(dirs, s.dataset);
  const ctx: ObjectiveContext = { space, scoreContext: () => scoreContextFor(s, dirs), latency: { batch: s.latencyBatch ?? 1, reps: s.latencyReps ?? 5 } };
  const input = deploymentInput(s.dataset, dataDir, s);
  if (input) ctx.netOverrides = input;
  if (specs.some((x) => x.source === 'trained')) {
    const preset = TRAINED_PRESETS[s.preset ?? 'cpu-small']!;
    ctx.trainedAccuracy = trainedAccuracyHook({ space, preset, dataset: s.dataset ?? 'cifar10', dataDir, seed: s.seed, ...(s.dataset === 'folder' ? { folder: folderOptionsFrom(s) } : {}) });
  }
  objs = buildObjectives(specs, ctx);
  evaluators.set(key, objs);
  return objs;
}

function runEvaluate(p: TaskPayload<'evaluate'>, dirs: DataDirs): TaskResult<'evaluate'> {
  const objs = evaluatorFor(p, dirs);
  const arch = parseArch(checkSpace(p.space), p.arch);
  return { values: objs.map((o) => o.evaluate(arch)) };
}

const trainData = new Map<string, { train: Dataset; test: Dataset }>();

function runTrain(p: TaskPayload<'train'>, dirs: DataDirs): TaskResult<'train'> {
  const data = { ...p.data, dataDir: dataDirFor(dirs, p.data.dataset) };
  const key = JSON.stringify(data);
  let loaded = trainData.get(key);
  if (!loaded) {
    loaded = loadRunData(data);
    trainData.set(key, loaded);
  }
  const net = { ...p.net, space: checkSpace(p.net.space) };
  const res = runTraining({ net, data, recipe: p.recipe }, { evalName: 'val', data: loaded });
  return { arch: res.arch, params: res.params, flops: res.flops, epochs: res.history.map(dtbEpoch) };
}

/** Run one checked task (see tasks.ts's checkJob). */
export function runTask(kind: TaskKind, payload: unknown, dirs: DataDirs): unknown {
  switch (kind) {
    case 'score':
      return runScore(payload as TaskPayload<'score'>, dirs);
    case 'evaluate':
      return runEvaluate(payload as TaskPayload<'evaluate'>, dirs);
    case 'train':
      return runTrain(payload as TaskPayload<'train'>, dirs);
    case 'noop':
      return { n: (payload as TaskPayload<'noop'>).n };
  }
}
