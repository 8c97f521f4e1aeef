/**
 * tsnas as a library: neural architecture search in TypeScript on TensorFlow.js.
 *
 * Everything a program needs to score, search, train and export architectures. Engine-level
 * pieces (the TF.js namespace, tensor types, fused kernels) are in the `tsnas/engine` subpath.
 *
 * @example
 * ```ts
 * import { initBackend, makeSynthetic, parseArch, scoreArch } from 'tsnas';
 * await initBackend('cpu');
 * const data = makeSynthetic({ n: 64 });
 * const arch = parseArch('nb201', '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|');
 * console.log(scoreArch(arch, ['naswot'], { data, batch: 32, seed: 0 }).scores);
 * ```
 *
 * @packageDocumentation
 */

// ---- Backend -------------------------------------------------------------------------------
/** Pick and start a TF.js backend (`auto`, `native`, `wasm`, `cpu`, `webgpu`); call once before any tensor work. */
export { initBackend } from './engine/backend.js';
/** The backend started by {@link initBackend}, or undefined before it. */
export { backendInfo } from './engine/backend.js';
/** Backend names accepted by {@link initBackend}. */
export { BACKENDS } from './engine/backend.js';
/** One of {@link BACKENDS}. */
export { type BackendName } from './engine/backend.js';
/** What {@link initBackend} started: backend name, threads, detail. */
export { type BackendInfo } from './engine/backend.js';
/** Run a function on another started backend, then switch back (how `latency:wasm` is measured). */
export { withBackend } from './engine/backend.js';

// ---- Utilities -----------------------------------------------------------------------------
/** Seeded pseudo-random generator used for sampling, weight init and batches. */
export { Rng } from './util/rng.js';
/** Error for user mistakes (bad flags, bad architectures, missing files); carries an exit code. */
export { TsnasError } from './util/errors.js';
/** Spearman rank correlation. */
export { spearman } from './util/stats.js';
/** Kendall's tau-b rank correlation. */
export { kendallTau } from './util/stats.js';
/** Pearson correlation. */
export { pearson } from './util/stats.js';
/** Any array-like of numbers. */
export { type NumArray } from './util/stats.js';

// ---- Search spaces -------------------------------------------------------------------------
/** The interface a search space implements (parse, format, sample, mutate, crossover, encode, build its network). */
export { type SearchSpace } from './spaces/space.js';
/** A categorical decision of a space (what encode() indexes). */
export { type Decision } from './spaces/space.js';
/** Register a search space under its name (one line per space). */
export { registerSpace } from './spaces/registry.js';
/** The space registered under a name; an unknown name is an error listing the known ones. */
export { getSpace } from './spaces/registry.js';
/** Names of the registered spaces. */
export { listSpaces } from './spaces/registry.js';
/** Names of the built-in search spaces. */
export { SPACES } from './spaces/index.js';
/** A registered space's name. */
export { type SpaceName } from './spaces/index.js';
/** An architecture of either space, with its canonical text. */
export { type AnyArch } from './spaces/index.js';
/** Check a space name; throws {@link TsnasError} for an unknown one. */
export { checkSpace } from './spaces/index.js';
/** Parse an architecture string of a space into an {@link AnyArch}. */
export { parseArch } from './spaces/index.js';
/** Sample a uniformly random architecture of a space. */
export { sampleArch } from './spaces/index.js';
/** Mutate one choice of an architecture. */
export { mutateArch } from './spaces/index.js';
/** Build the evaluation network of an architecture (benchmark sizes unless overridden). */
export { buildEvalNetwork } from './spaces/index.js';
/** Size overrides for {@link buildEvalNetwork}. */
export { type EvalNetOverrides } from './spaces/index.js';
/** NAS-Bench-201 operations. */
export { NB201_OPS } from './spaces/index.js';
/** NAS-Bench-201 cell edges as (from, to) node pairs. */
export { NB201_EDGES } from './spaces/index.js';
/** Number of NAS-Bench-201 cells (15,625). */
export { NB201_SIZE } from './spaces/index.js';
/** A NAS-Bench-201 operation name. */
export { type Nb201Op } from './spaces/index.js';
/** A NAS-Bench-201 cell: one operation per edge. */
export { type Nb201Arch } from './spaces/index.js';
/** Parse a NAS-Bench-201 string (`|op~0|+|op~0|op~1|+|…|`). */
export { parseNb201 } from './spaces/index.js';
/** Format a NAS-Bench-201 cell as its canonical string. */
export { formatNb201 } from './spaces/index.js';
/** Canonical form of a NAS-Bench-201 string. */
export { canonicalNb201 } from './spaces/index.js';
/** Index (0 … 15,624) of a NAS-Bench-201 cell. */
export { nb201Code } from './spaces/index.js';
/** NAS-Bench-201 cell of an index. */
export { nb201FromCode } from './spaces/index.js';
/** Every NAS-Bench-201 cell, in code order. */
export { enumerateNb201 } from './spaces/index.js';
/** Sample a NAS-Bench-201 cell. */
export { sampleNb201 } from './spaces/index.js';
/** Mutate a NAS-Bench-201 cell. */
export { mutateNb201 } from './spaces/index.js';
/** DARTS operations. */
export { DARTS_OPS } from './spaces/index.js';
/** A DARTS operation name. */
export { type DartsOp } from './spaces/index.js';
/** One DARTS gene: (operation, input node). */
export { type GeneEntry } from './spaces/index.js';
/** A DARTS genotype (normal and reduction cells). */
export { type DartsGenotype } from './spaces/index.js';
/** Parse a DARTS genotype string. */
export { parseGenotype } from './spaces/index.js';
/** Format a DARTS genotype. */
export { formatGenotype } from './spaces/index.js';
/** Check a DARTS genotype; throws on an invalid one. */
export { validateGenotype } from './spaces/index.js';
/** Sample a DARTS genotype. */
export { sampleGenotype } from './spaces/index.js';
/** Mutate a DARTS genotype. */
export { mutateGenotype } from './spaces/index.js';
/** NAS-Bench-101 operations (interior vertices). */
export { NB101_OPS } from './spaces/index.js';
/** A (pruned) NAS-Bench-101 cell: adjacency matrix and ops. */
export { type Nb101Arch } from './spaces/index.js';
/** Parse a NAS-Bench-101 cell (JSON `{matrix, ops}` or the compact `BITS|OP,...` string). */
export { parseNb101 } from './spaces/index.js';
/** Format a NAS-Bench-101 cell as the compact string. */
export { formatNb101 } from './spaces/index.js';
/** Validate and prune a NAS-Bench-101 cell given as matrix and ops. */
export { makeNb101Cell } from './spaces/index.js';
/** NAS-Bench-101's graph-isomorphism hash (the benchmark's module key). */
export { nb101Hash } from './spaces/index.js';
/** Sample a NAS-Bench-101 cell as NB101's example code does. */
export { sampleNb101 } from './spaces/index.js';
/** Mutate a NAS-Bench-101 cell as NB101's example code does. */
export { mutateNb101 } from './spaces/index.js';

/** The `mobile` space: a MobileNetV2/ProxylessNAS-like macro space (5 MBConv stages; depth, kernel, expansion, width per stage). */
export { mobileSpace } from './spaces/index.js';
/** The `mobile` space's spec for an input size (its stride schedule follows the input). */
export { mobileSpec } from './spaces/index.js';

// ---- Declarative spaces (a space anyone can write) ----------------------------------------
/** A space from a spec object: `defineSpace({ name, layers: [...] })`, validated as a space file is. */
export { defineSpace } from './spaces/index.js';
/** A value choice written in place of a block field: `kernel: choice('k', [3, 5, 7])`. */
export { choice } from './spaces/index.js';
/** A layer that is one of several named candidate blocks. */
export { layerChoice } from './spaces/index.js';
/** A layer reducing (sum, concat, mean) n outputs chosen among earlier layers. */
export { inputChoice } from './spaces/index.js';
/** A block repeated a chosen number of times. */
export { repeat } from './spaces/index.js';
/** The SearchSpace of a parsed spec. */
export { declarativeSpace } from './spaces/index.js';
/** Validate a space spec (a parsed YAML/JSON file or a module's object); errors name the path in the file. */
export { parseSpaceSpec } from './spaces/index.js';
/** The zod schema of a space file. */
export { spaceSpecSchema } from './spaces/index.js';
/** The zod schema of one block of a space file. */
export { blockSchema } from './spaces/index.js';
/** The zod schema of one layer of a space file. */
export { layerSchema } from './spaces/index.js';
/** The block types of a space file. */
export { BLOCK_TYPES } from './spaces/index.js';
/** Load a YAML/JSON space file and register its space. */
export { loadSpaceFile } from './spaces/index.js';
/** Import a TypeScript/JavaScript module exporting a space and register it. */
export { loadSpaceModule } from './spaces/index.js';
/** The space a `--space` value names: a registered name, a space file or a space module. */
export { resolveSpace } from './spaces/index.js';
/** Whether a `--space` value is a file path rather than a registered name. */
export { isSpacePath } from './spaces/index.js';
/** Canonical text of a declarative sample: JSON with sorted keys. */
export { canonicalSample } from './spaces/index.js';
/** A space built from a declarative spec. */
export { type DeclarativeSpace } from './spaces/index.js';
/** A sample of a declarative space: `{label: value}` for the active decisions. */
export { type DeclarativeSample } from './spaces/index.js';
/** A decision of a declarative space with its values. */
export { type DeclarativeDecision } from './spaces/index.js';
/** Options of {@link declarativeSpace}. */
export { type DeclarativeSpaceOptions } from './spaces/index.js';
/** A validated space spec. */
export { type SpaceSpec } from './spaces/index.js';
/** A space spec as written (before defaults). */
export { type SpaceSpecInput } from './spaces/index.js';
/** A block of a space spec. */
export { type BlockSpec } from './spaces/index.js';
/** A layer of a space spec. */
export { type LayerSpec } from './spaces/index.js';
/** A block as written in a space spec. */
export { type BlockInput } from './spaces/index.js';
/** A layer as written in a space spec. */
export { type LayerInput } from './spaces/index.js';
/** A value choice written in place. */
export { type InlineChoiceInput } from './spaces/index.js';

// ---- Networks ------------------------------------------------------------------------------
/** Base class of the trainable networks. */
export { Network } from './nn/network.js';
/** What a network's forward pass returns. */
export { type NetworkOutput } from './nn/network.js';
/** Base class of layers and networks: parameters, buffers, forward. */
export { Module } from './nn/module.js';
/** Forward-pass context (training mode, hooks). */
export { type ForwardCtx } from './nn/module.js';
/** Hooks called during a forward pass (e.g. to record activations). */
export { type ForwardHooks } from './nn/module.js';
/** A forward pass that records no gradient and frees its intermediates at the network's cuts (NASWOT/DAS; {@link ForwardCtx}.release). */
export { ReleasingPass } from './nn/release.js';
/** The NAS-Bench-201 evaluation network. */
export { Nb201Network } from './nn/nb201-net.js';
/** NAS-Bench-201's own evaluation network sizes. */
export { NB201_EVAL_CONFIG } from './nn/nb201-net.js';
/** Sizes of a NAS-Bench-201 network. */
export { type Nb201NetConfig } from './nn/nb201-net.js';
/** One NAS-Bench-201 cell (the searched part of {@link Nb201Network}). */
export { Nb201Cell } from './nn/nb201-net.js';
/** The residual reduction block between NAS-Bench-201 stages. */
export { ResNetBasicBlock } from './nn/nb201-net.js';
/** The DARTS evaluation network. */
export { DartsNetwork } from './nn/darts-net.js';
/** DARTS's own evaluation network sizes. */
export { DARTS_EVAL_CONFIG } from './nn/darts-net.js';
/** Sizes of a DARTS network. */
export { type DartsNetConfig } from './nn/darts-net.js';
/** One DARTS cell (normal or reduction). */
export { DartsCell } from './nn/darts-net.js';
/** The auxiliary classifier head of {@link DartsNetwork}. */
export { AuxiliaryHead } from './nn/darts-net.js';
/** The NAS-Bench-101 network. */
export { Nb101Network } from './nn/nb101-net.js';
/** NAS-Bench-101's own network sizes (stem 128 channels, 3 stacks of 3 cells). */
export { NB101_EVAL_CONFIG } from './nn/nb101-net.js';
/** Sizes of a NAS-Bench-101 network. */
export { type Nb101NetConfig } from './nn/nb101-net.js';
/** The network of a declarative-space sample. */
export { PlanNetwork } from './nn/plan-net.js';
/** Shapes of every output of a network plan (errors name a misfit reduction). */
export { planShapes } from './nn/plan-net.js';
/** A declarative network's resolved plan. */
export { type NetPlan } from './nn/plan-net.js';
/** A node of a {@link NetPlan}. */
export { type PlanNode } from './nn/plan-net.js';
/** A block of a {@link NetPlan}, its sizes resolved. */
export { type BlockPlan } from './nn/blocks.js';
/** Base class of declarative-network blocks. */
export { Block } from './nn/blocks.js';
/** conv-BN(-ReLU), dense or depthwise. */
export { ConvBnAct } from './nn/blocks.js';
/** Inverted residual block (MBConv). */
export { MbConvBlock } from './nn/blocks.js';
/** Depthwise-separable conv block. */
export { DwSepBlock } from './nn/blocks.js';
/** 2-D convolution layer (NHWC). */
export { Conv2d } from './nn/layers.js';
/** Batch normalisation layer. */
export { BatchNorm } from './nn/layers.js';
/** Fully connected layer. */
export { Linear } from './nn/layers.js';
/** Options of {@link Conv2d}. */
export { type ConvOptions } from './nn/layers.js';
/** Base class of the candidate operations of a cell. */
export { Op } from './nn/ops.js';
/** ReLU → convolution → batch norm, the building block of the candidate operations. */
export { ReLUConvBN } from './nn/ops.js';

// ---- Datasets ------------------------------------------------------------------------------
/** An image classification dataset in memory (NHWC float images, labels). */
export { type Dataset } from './data/index.js';
/** Undecoded images and labels as read from disk. */
export { type RawImageSet } from './data/index.js';
/** `'train' | 'test'`. */
export { type Split } from './data/index.js';
/** Load a dataset by name (cifar10, fashion-mnist, synthetic, folder). */
export { loadDataset } from './data/index.js';
/** A dataset's class names in label order (CIFAR-10, Fashion-MNIST, a folder's classes). */
export { datasetClassNames } from './data/index.js';
/** Your own images: a folder with one sub-folder per class (PNG, JPEG, BMP), decoded, resized and cached. */
export { loadImageFolder, loadImageFolderAsync } from './data/index.js';
/** Options and load report of {@link loadImageFolder}, and the `folder` options of {@link loadDataset}. */
export { type ImageFolderOptions, type ImageFolderLoadInfo, type FolderDatasetOptions } from './data/index.js';
/** Options of {@link loadDataset}. */
export { type LoadOptions } from './data/index.js';
/** Names accepted by {@link loadDataset}. */
export { DATASET_NAMES } from './data/index.js';
/** One of {@link DATASET_NAMES}. */
export { type DatasetName } from './data/index.js';
/** Default CIFAR-10 directory. */
export { CIFAR10_DEFAULT_DIR } from './data/index.js';
/** The images of a dataset at the given indices. */
export { subset } from './data/index.js';
/** Seeded train/validation split. */
export { splitTrainVal } from './data/index.js';
/** Images per class. */
export { classCounts } from './data/index.js';
/** Build a {@link Dataset} from raw arrays. */
export { makeDataset } from './data/index.js';
/** Reduce image size by box averaging. */
export { downsample } from './data/index.js';
/** Read the CIFAR-10 binary batches of a directory. */
export { readCifar10 } from './data/index.js';
/** CIFAR-10 class names. */
export { CIFAR10_CLASSES } from './data/index.js';
/** Read Fashion-MNIST IDX files. */
export { readFashionMnist } from './data/index.js';
/** Fashion-MNIST class names. */
export { FASHION_MNIST_CLASSES } from './data/index.js';
/** A seeded synthetic dataset (for tests and examples). */
export { makeSynthetic } from './data/index.js';
/** Options of {@link makeSynthetic}. */
export { type SyntheticOptions } from './data/index.js';
/** Seeded, resumable minibatch iterator with augmentation. */
export { Batcher } from './data/index.js';
/** Options of {@link Batcher}. */
export { type BatcherOptions } from './data/index.js';
/** A minibatch: image and label tensors. */
export { type Batch } from './data/index.js';
/** Checkpointable position of a {@link Batcher}. */
export { type BatcherState } from './data/index.js';
/** Data augmentation settings (shift, flip, cutout). */
export { type AugmentOptions } from './data/index.js';
/** A fixed, seeded batch of a dataset (the scoring batch). */
export { fixedBatch } from './data/index.js';

// ---- Proxies (training-free scoring) -------------------------------------------------------
/** Register a training-free proxy (one file per proxy, declaring what it needs). */
export { registerProxy } from './proxies/index.js';
/** The proxy registered under a name. */
export { getProxy } from './proxies/index.js';
/** Names of the registered proxies. */
export { proxyNames } from './proxies/index.js';
/** The interface a proxy implements. */
export { type ProxyDefinition } from './proxies/proxy.js';
/** What a proxy's score function is given (network, batch, lazily computed activations, gradients, MACs). */
export { type ProxyInput } from './proxies/proxy.js';
/** What a proxy needs computed for it. */
export { type ProxyNeeds } from './proxies/proxy.js';
/** Names of the built-in proxies (`das:…` rules are accepted too). */
export { PROXY_NAMES } from './proxies/index.js';
/** Parse a comma-separated proxy list (keeps `das:` rules whole). */
export { parseProxyList } from './proxies/index.js';
/** Score one architecture with a list of proxies. */
export { scoreArch } from './proxies/index.js';
/** Data, batch size, seed and optional fast training for {@link scoreArch}. */
export { type ScoreContext } from './proxies/index.js';
/** Scores and timings of one architecture. */
export { type ArchScore } from './proxies/index.js';
/** A few SGD steps before scoring. */
export { type FastTrainOptions } from './proxies/index.js';
/** Defaults of {@link FastTrainOptions} (training-free). */
export { DEFAULT_FAST_TRAIN } from './proxies/index.js';
/** Train a network a few SGD steps (the fast-training option of {@link scoreArch}). */
export { fastTrain } from './proxies/index.js';
/** The full rule behind each `das` proxy of a list. */
export { dasRuleNames } from './proxies/index.js';
/** The default DAS rule. */
export { DEFAULT_DAS } from './proxies/index.js';
/** The two-term DAS rule. */
export { DAS_TWO_TERM } from './proxies/index.js';
/** Parse a `das:key=value,…` rule. */
export { parseDasRule } from './proxies/index.js';
/** A parsed DAS rule. */
export { type DasRule } from './proxies/index.js';
/** Cache shared by DAS scores of one forward pass. */
export { type DasCache } from './proxies/index.js';
/** NASWOT score (log-determinant of the activation-code kernel). */
export { naswotScore } from './proxies/index.js';
/** DAS score of activation statistics under a rule. */
export { dasScore } from './proxies/index.js';
/** Run a network forward on a batch and collect ReLU activation statistics. */
export { collectActivationStats } from './proxies/index.js';
/** ReLU activation statistics of one forward pass. */
export { type ActivationStats } from './proxies/index.js';
/** Activation statistics of one ReLU layer. */
export { type ReluLayerStats } from './proxies/index.js';
/** SynFlow score. */
export { synflow } from './proxies/index.js';
/** SNIP score. */
export { snip } from './proxies/index.js';
/** Gradient-norm score. */
export { gradNorm } from './proxies/index.js';
/** Jacobian-covariance score. */
export { jacobCov } from './proxies/index.js';
/** Zen-score. */
export { zen } from './proxies/index.js';
/** Score a pool of architectures in this thread. */
export { scorePool } from './proxies/run.js';
/** Score a pool, yielding to the event loop between architectures (stoppable). */
export { scorePoolAsync } from './proxies/run.js';
/** Options of {@link scorePool}. */
export { type PoolOptions } from './proxies/run.js';

// ---- Objectives ----------------------------------------------------------------------------
/** Parse an objectives list (`accuracy,params<=1.5,latency`…). */
export { parseObjectives } from './objectives/index.js';
/** Parse one objective term. */
export { parseObjectiveTerm } from './objectives/index.js';
/** A parsed objective: kind, direction, constraint. */
export { type ObjectiveSpec } from './objectives/index.js';
/** Kind of an objective. */
export { type ObjectiveKind } from './objectives/index.js';
/** A bound on an objective. */
export { type Constraint } from './objectives/index.js';
/** Objective kinds. */
export { OBJECTIVE_KINDS } from './objectives/index.js';
/** Constraint violation of a value. */
export { violation } from './objectives/index.js';
/** An evaluable objective: name, direction, `evaluate(arch)`. */
export { type ArchObjective } from './objectives/index.js';
/** What objectives need: space, table, data, backend, options. */
export { type ObjectiveContext } from './objectives/index.js';
/** Latency measurement options. */
export { type LatencyOptions } from './objectives/index.js';
/** Build evaluable objectives from specs. */
export { buildObjectives } from './objectives/index.js';
/** Build one evaluable objective. */
export { buildObjective } from './objectives/index.js';
/** Parameters and FLOPs of an architecture's evaluation network. */
export { netSize } from './objectives/index.js';
/** Median forward latency of a network. */
export { measureLatency } from './objectives/index.js';
/** Objective values as a name → value record. */
export { objectiveRecord } from './objectives/index.js';
/** Objective direction: `'min' | 'max'`. */
export { type Direction } from './objectives/index.js';
/** One direction or one per objective. */
export { type Directions } from './objectives/index.js';
/** A point in objective space. */
export { type ObjectiveVector } from './objectives/index.js';
/** Pareto dominance. */
export { dominates } from './objectives/index.js';
/** Non-dominated sorting into fronts. */
export { nonDominatedSort } from './objectives/index.js';
/** Front index of each point. */
export { nonDominatedRanks } from './objectives/index.js';
/** NSGA-II crowding distance. */
export { crowdingDistance } from './objectives/index.js';
/** The Pareto front. */
export { paretoFront } from './objectives/index.js';
/** Indices of the Pareto front. */
export { paretoFrontIndices } from './objectives/index.js';
/** Hypervolume of a front. */
export { hypervolume } from './objectives/index.js';
/** An objective read from the NB201 table. */
export { type TableObjective } from './objectives/index.js';
/** The exact Pareto front of the NB201 table. */
export { trueParetoFront } from './objectives/index.js';
/** Accuracy after a short training run, as an objective. */
export { trainedAccuracyHook } from './objectives/index.js';
/** Presets of the trained-accuracy objective. */
export { TRAINED_PRESETS } from './objectives/index.js';
/** One trained-accuracy preset. */
export { type TrainedAccuracyPreset } from './objectives/index.js';
/** Options of {@link trainedAccuracyHook}. */
export { type TrainedAccuracyOptions } from './objectives/index.js';
/** Parse `--constraints` (`size<=2MB,latency:wasm<=20ms,params<=1M`: bounds with units). */
export { parseConstraints } from './objectives/index.js';
/** Put parsed constraints on the objectives; the rest are constraint-only quantities. */
export { applyConstraints } from './objectives/index.js';
/** Close every objective that holds something open (latency:browser's browser). */
export { closeObjectives } from './objectives/index.js';
/** The exported TF.js model files of an architecture's evaluation network (the `size` objective's source). */
export { exportedModelFiles } from './objectives/index.js';
/** The `size` objective: download bytes of an architecture's exported TF.js model. */
export { exportedModelBytes } from './objectives/index.js';
/** `latency:browser` of architectures, with one browser kept open until `close()`. */
export { BrowserLatencyObjective } from './objectives/index.js';

// ---- Search --------------------------------------------------------------------------------
/** Run a registered strategy with validated options: `await search('nsga2', { budget: 100 })`. */
export { search } from './search/search.js';
/** Validate a strategy's options against its schema (defaults filled in). */
export { parseStrategyOptions } from './search/search.js';
/** The interface every search strategy implements. */
export { type SearchStrategy } from './search/strategy.js';
/** What a strategy is given besides its options: run, stop signal, log, progress, backend start. */
export { type SearchContext } from './search/strategy.js';
/** A progress event of a long loop. */
export { type ProgressEvent } from './search/strategy.js';
/** The options every strategy takes (a zod schema to extend). */
export { baseSearchOptions } from './search/strategy.js';
/** The options every strategy takes, as parsed. */
export { type BaseSearchOptions } from './search/strategy.js';
/** The one result shape of every strategy. */
export { type SearchResult } from './search/result.js';
/** The zod schema of {@link SearchResult}. */
export { searchResultSchema } from './search/result.js';
/** Register a strategy under its name. */
export { registerStrategy } from './search/registry.js';
/** The strategy registered under a name. */
export { getStrategy } from './search/registry.js';
/** Every registered strategy. */
export { listStrategies } from './search/registry.js';
/** Register a user objective usable in objective lists beside the built-in ones. */
export { registerObjective } from './objectives/registry.js';
/** A user objective. */
export { type ObjectiveDefinition } from './objectives/registry.js';
/** Budgeted, caching evaluator of objectives for multi-objective search. */
export { MooEvaluator } from './search/moo-common.js';
/** One evaluated architecture. */
export { type EvalRecord } from './search/moo-common.js';
/** Result of a multi-objective search (front, history). */
export { type MooResult } from './search/moo-common.js';
/** One Pareto-front entry of a {@link MooResult}. */
export { type ParetoEntry } from './search/moo-common.js';
/** Build the {@link MooResult} of an evaluator. */
export { buildResult } from './search/moo-common.js';
/** Feasible Pareto front of evaluated records. */
export { feasibleFront } from './search/moo-common.js';
/** NSGA-II multi-objective search. */
export { nsga2 } from './search/nsga2.js';
/** NSGA-II as a step generator (resumable, stoppable). */
export { nsga2Steps } from './search/nsga2.js';
/** Options of {@link nsga2}. */
export { type Nsga2Options } from './search/nsga2.js';
/** Outcome of {@link nsga2}. */
export { type Nsga2Outcome } from './search/nsga2.js';
/** NSGA-II checkpoint state. */
export { type Nsga2State } from './search/nsga2.js';
/** Regularized (aging) evolution (Real et al. 2019) under an evaluator's budget. */
export { evolution } from './search/evolution.js';
/** Regularized evolution as a step generator (resumable, stoppable). */
export { evolutionSteps } from './search/evolution.js';
/** The fitness regularized evolution ranks by (first objective or a weighted sum). */
export { evolutionFitness } from './search/evolution.js';
/** Options of {@link evolution}. */
export { type EvolutionOptions } from './search/evolution.js';
/** Outcome of {@link evolution}. */
export { type EvolutionOutcome } from './search/evolution.js';
/** Regularized-evolution checkpoint state. */
export { type EvolutionState } from './search/evolution.js';
/** Random search under an evaluator's budget. */
export { randomSearch } from './search/random-search.js';
/** Options of {@link randomSearch}. */
export { type RandomSearchOptions } from './search/random-search.js';
/** A resumable computation: a generator that yields between steps. */
export { type Steps } from './search/steps.js';
/** Run a {@link Steps} generator to the end. */
export { drain } from './search/steps.js';
/** Run a {@link Steps} generator, yielding to the event loop. */
export { drainAsync } from './search/steps.js';
/** What a {@link Steps} generator yields before a batch of evaluations it can announce (evaluated elsewhere first). */
export { type StepBatch } from './search/steps.js';
/** Differentiable search (DARTS, DARTS 2nd order, Single-DARTS, PC-DARTS, MS-DARTS). */
export { runSearch } from './search/diff/trainer.js';
/** Options of {@link runSearch}. */
export { type SearchRunOptions } from './search/diff/trainer.js';
/** Result of {@link runSearch}: derived architecture and history. */
export { type SearchResult as SupernetSearchResult } from './search/diff/trainer.js';
/** One epoch of a differentiable search. */
export { type EpochRecord as SearchEpochRecord } from './search/diff/trainer.js';
/** Space of a differentiable search: `'nb201' | 'darts'`. */
export { type SearchSpace as SupernetSpaceName } from './search/diff/model.js';
/** Architecture derived from a differentiable search's weights. */
export { type Derived } from './search/diff/model.js';
/** Build a differentiable-search configuration from a preset. */
export { buildConfig } from './search/diff/presets.js';
/** A differentiable-search configuration. */
export { type SearchConfig } from './search/diff/presets.js';
/** Overrides of {@link buildConfig}. */
export { type ConfigOverrides } from './search/diff/presets.js';
/** Differentiable-search presets. */
export { PRESETS } from './search/diff/presets.js';
/** One of {@link PRESETS}. */
export { type PresetName } from './search/diff/presets.js';
/** Differentiable search strategies. */
export { STRATEGY_NAMES } from './search/diff/strategies.js';
/** One of {@link STRATEGY_NAMES}. */
export { type StrategyName } from './search/diff/strategies.js';

// ---- NAS-Bench-201 table -------------------------------------------------------------------
/** The NAS-Bench-201 table: accuracies and costs of all 15,625 cells. */
export { Nb201Table } from './benchmarks/index.js';
/** Load the NB201 table (CSV, optionally gzipped). */
export { loadNb201Table } from './benchmarks/index.js';
/** Options of {@link loadNb201Table}. */
export { type LoadNb201Options } from './benchmarks/index.js';
/** One row of the NB201 table. */
export { type Nb201Row } from './benchmarks/index.js';
/** Parse the NB201 CSV text. */
export { parseNb201Csv } from './benchmarks/index.js';
/** Default table path (`$TSNAS_NB201` or the shared data folder). */
export { defaultNb201Path } from './benchmarks/index.js';
/** Whether a string is a NAS-Bench-201 cell. */
export { isNb201Arch } from './benchmarks/index.js';
/** Canonical table key of an architecture string. */
export { normalizeArch } from './benchmarks/index.js';
/** Accuracy columns of the table. */
export { NB201_ACCURACY_COLUMNS } from './benchmarks/index.js';
/** Latency columns of the table. */
export { NB201_LATENCY_COLUMNS } from './benchmarks/index.js';
/** Number of architectures in the table. */
export { NB201_NUM_ARCHS } from './benchmarks/index.js';

// ---- Training ------------------------------------------------------------------------------
/** Train a network (SGD, cosine schedule, checkpoints, resumable). */
export { trainNetwork } from './train/trainer.js';
/** {@link trainNetwork}, yielding to the event loop between steps. */
export { trainNetworkAsync } from './train/trainer.js';
/** Training as a step generator. */
export { trainSteps } from './train/trainer.js';
/** Options of {@link trainNetwork}. */
export { type TrainOptions } from './train/trainer.js';
/** Result of {@link trainNetwork}. */
export { type TrainResult } from './train/trainer.js';
/** A training recipe (epochs, lr, batch, augmentation…). */
export { type TrainRecipe } from './train/trainer.js';
/** The default training recipe. */
export { DEFAULT_RECIPE } from './train/trainer.js';
/** A space's training defaults (its SearchSpace.trainRecipe). */
export { spaceRecipe } from './train/trainer.js';
/** One training epoch's record. */
export { type EpochRecord } from './train/trainer.js';
/** Metadata saved with trained weights. */
export { type TrainMeta } from './train/trainer.js';
/** Progress within an interrupted epoch (resumable training). */
export { type PartialEpoch } from './train/trainer.js';
/** Loss and accuracy of a network on a dataset. */
export { evaluate } from './train/trainer.js';
/** Load trained weights into a network. */
export { loadWeights } from './train/trainer.js';
/** Train an architecture from a run configuration into a run directory. */
export { runTraining } from './train/run.js';
/** {@link runTraining}, yielding to the event loop. */
export { runTrainingAsync } from './train/run.js';
/** A training run's configuration. */
export { type RunConfig } from './train/run.js';
/** Network part of a {@link RunConfig}. */
export { type NetSpec } from './train/run.js';
/** Data part of a {@link RunConfig}. */
export { type DataSpec } from './train/run.js';
/** Options of {@link runTraining}. */
export { type RunTrainingOptions } from './train/run.js';
/** Outcome of {@link runTraining}. */
export { type RunOutcome } from './train/run.js';
/** Build the network of a {@link NetSpec}. */
export { buildNet } from './train/run.js';
/** Load a trained run directory: network, arch, config. */
export { loadRun } from './train/run.js';
/** The run configuration file of a training run directory. */
export { type RunFileConfig } from './train/run.js';
/** Momentum SGD with weight decay, Nesterov and clipping (PyTorch semantics). */
export { Sgd } from './optim/index.js';
/** Options of {@link Sgd}. */
export { type SgdOptions } from './optim/index.js';
/** Adam on tensors (the architecture optimiser of differentiable search). */
export { Adam } from './optim/index.js';
/** Cosine learning-rate schedule. */
export { cosineLr } from './optim/index.js';
/** Build a DTB (architectures with their per-epoch training states) in a directory; resumable (docs/DTB.md). */
export { buildDtbAsync } from './train/dtb.js';
/** Build a DTB with each architecture's training as a job on the Redis queue's workers. */
export { buildDtbOnQueue } from './train/dtb-queue.js';
/** Options of {@link buildDtbOnQueue}. */
export { type QueuedBuildOptions } from './train/dtb-queue.js';
/** What a DTB build is: space, seed, number of architectures, network, data and recipe. */
export { type DtbBuildSpec } from './train/dtb.js';
/** Options of {@link buildDtbAsync}: progress, a stop predicate, a stop after k architectures. */
export { type BuildOptions as DtbBuildOptions } from './train/dtb.js';
/** What a DTB build did in this call. */
export { type BuildOutcome as DtbBuildOutcome } from './train/dtb.js';
/** A build directory's manifest. */
export { type DtbManifest } from './train/dtb.js';
/** The finished architectures of a build directory as one DTB (`partial` allows an unfinished build). */
export { collectDtb } from './train/dtb.js';
/** Write a DTB as versioned JSON or CSV. */
export { writeDtb } from './train/dtb.js';
/** Read a DTB file (refusing newer versions). */
export { readDtb } from './train/dtb.js';
/** A DTB file: its manifest and every architecture's epochs. */
export { type DtbFile } from './train/dtb.js';
/** One architecture of a DTB. */
export { type DtbArch } from './train/dtb.js';
/** One recorded epoch of a DTB architecture. */
export { type DtbEpoch } from './train/dtb.js';
/** Export a trained run directory as a TF.js LayersModel with its genotype and model card. */
export { exportRun } from './train/export-run.js';
/** What model_card.json of an export holds. */
export { type ModelCard } from './train/export-run.js';

// ---- Export --------------------------------------------------------------------------------
/** Convert a trained network to a TF.js LayersModel. */
export { toLayersModel } from './train/export-tfjs.js';
/** Save a LayersModel as model.json + weights.bin. */
export { saveLayersModel } from './train/export-tfjs.js';
/** Options of {@link toLayersModel}. */
export { type ExportOptions } from './train/export-tfjs.js';
/** Median and p90 inference latency of a LayersModel. */
export { measureLatency as measureModelLatency } from './train/export-tfjs.js';
/** Options of {@link exportRun}. */
export { type ExportRunOptions } from './train/export-run.js';

// ---- Deployment: browser, model files ------------------------------------------------------
/** A LayersModel as its download files (model.json + weights.bin), in memory, synchronously. */
export { layersModelFiles } from './deploy/model-files.js';
/** Download size in bytes of model files. */
export { downloadBytes } from './deploy/model-files.js';
/** model.json's text and the weights file's bytes. */
export { type ModelFiles } from './deploy/model-files.js';
/** Time models in headless Chromium on TF.js's wasm backend (async; one browser, many models). */
export { BrowserLatencyMeter } from './deploy/browser-latency.js';
/** Options of {@link BrowserLatencyMeter}. */
export { type BrowserLatencyOptions } from './deploy/browser-latency.js';
/** The measuring page's TF.js backend, version and wasm features. */
export { type BrowserBackendInfo } from './deploy/browser-latency.js';
/** {@link BrowserLatencyMeter} behind synchronous calls (a worker thread runs the browser). */
export { SyncBrowserLatency } from './deploy/browser-latency-sync.js';
/** Launch headless Chromium (playwright-core, loaded lazily). */
export { launchChromium } from './deploy/chromium.js';
/** The Chromium binary used: a given path, $TSNAS_CHROMIUM, or /usr/bin/chromium. */
export { chromiumPath } from './deploy/chromium.js';
/** A running headless Chromium. */
export { type Chromium } from './deploy/chromium.js';
/** Options of {@link launchChromium}. */
export { type ChromiumOptions } from './deploy/chromium.js';
/** A localhost HTTP server for TF.js dist files, in-memory files and folders. */
export { startStaticServer } from './deploy/static-server.js';
/** What {@link startStaticServer} returns. */
export { type StaticServer } from './deploy/static-server.js';
/** The folders of TF.js's and its wasm backend's browser builds in node_modules. */
export { tfjsDistDirs } from './deploy/static-server.js';
/** Pick a search run's trial by index (for `tsnas train --arch trial:RUN/IDX`). */
export { pickTrial } from './search/pick.js';
/** The k best trials of a search run by its first objective (`tsnas train --top k`). */
export { pickTop } from './search/pick.js';
/** The latest search run with trials in a store. */
export { latestSearchRun } from './search/pick.js';
/** An architecture given as a search prints it (a Pareto entry or a JSON string). */
export { archFromJson } from './search/pick.js';
/** An architecture picked from a search run. */
export { type PickedArch } from './search/pick.js';

// ---- Store and runs ------------------------------------------------------------------------
/** A run of the store as a service: create or resume, settings check, trials, checkpoints, finish. */
export { Run } from './store/run.js';
/** How to open a {@link Run}. */
export { type RunOptions } from './store/run.js';
/** A run's last checkpoint and its settings, read without reopening it (analysis of finished runs). */
export { storedCheckpoint, storedSettings } from './store/run.js';
/** The SQLite store of runs and trials. */
export { Store } from './store/store.js';
/** Schema version written by this tsnas. */
export { STORE_SCHEMA_VERSION } from './store/store.js';
/** A run row of the store. */
export { type RunRecord } from './store/store.js';
/** A trial row of the store. */
export { type TrialRecord } from './store/store.js';
/** Status of a run. */
export { type RunStatus } from './store/store.js';
/** Build the self-contained HTML report of a run. */
export { buildReport } from './report/index.js';
/** Write the HTML report of a run to a file. */
export { writeReport } from './report/index.js';
/** Options of {@link buildReport}. */
export { type ReportOptions } from './report/index.js';
/** One chart of a report. */
export { type Chart } from './report/index.js';
/** The data a report is built from. */
export { type ReportData } from './report/index.js';
/** Kind of a report chart. */
export { type ChartKind } from './report/charts.js';
/** Report data of a `correlate` run. */
export { type CorrelationData } from './report/data.js';
/** Report data of a differentiable search run. */
export { type SearchData } from './report/data.js';
/** One epoch of {@link SearchData}. */
export { type SearchEpoch } from './report/data.js';
/** Report data of a multi-objective search run. */
export { type MooData } from './report/data.js';
/** Report data of a DTB build. */
export { type DtbData } from './report/data.js';
/** One row of a training curve. */
export { type CurveRow } from './report/data.js';

// ---- Distributed trials (BullMQ on Redis) ----------------------------------------------------
/** A coordinator's queue connection: enqueue a batch of trials, collect each result once. */
export { TrialQueue } from './queue/coordinator.js';
/** One trial of a {@link TrialQueue} batch. */
export { type QueuedTrial } from './queue/coordinator.js';
/** How a {@link TrialQueue} batch is waited for. */
export { type BatchOptions } from './queue/coordinator.js';
/** The job id of a trial: run id and trial key (BullMQ refuses ':' in ids). */
export { trialJobId } from './queue/coordinator.js';
/** Start a trial worker (`tsnas worker`): jobs run in child processes. */
export { startTrialWorker } from './queue/worker.js';
/** Options of {@link startTrialWorker}. */
export { type TrialWorkerOptions } from './queue/worker.js';
/** A running worker of {@link startTrialWorker}. */
export { type TrialWorker } from './queue/worker.js';
/** Jobs per run and state, and the workers connected (`tsnas queue status`). */
export { queueStatus } from './queue/status.js';
/** What {@link queueStatus} reports. */
export { type QueueStatus } from './queue/status.js';
/** The job states {@link queueStatus} counts. */
export { JOB_STATES } from './queue/status.js';
/** One of {@link JOB_STATES}. */
export { type JobStateName } from './queue/status.js';
/** The fixed task list: kinds with their zod payload and result schemas. */
export { TASKS } from './queue/tasks.js';
/** A task kind of {@link TASKS}. */
export { type TaskKind } from './queue/tasks.js';
/** The payload of a task kind. */
export { type TaskPayload } from './queue/tasks.js';
/** The result of a task kind. */
export { type TaskResult } from './queue/tasks.js';
/** The data and scoring settings a job carries (the dataset by name, never a path). */
export { type DataSettings } from './queue/tasks.js';
/** The zod schema of {@link DataSettings}. */
export { dataSettingsSchema } from './queue/tasks.js';
/** Check a Redis URL (redis:// or rediss://, optional user, password and db). */
export { parseRedisUrl } from './queue/connection.js';
/** What {@link parseRedisUrl} returns. */
export { type RedisTarget } from './queue/connection.js';

// ---- Types the API above refers to -----------------------------------------------------------
/** A benchmark table (NB201's is one): columns and values by architecture text. */
export { type BenchmarkTable } from './benchmarks/registry.js';
/** The architecture types of the built-in spaces, by space name (extendable). */
export { type SpaceArchTypes } from './spaces/index.js';
/** Network size options a space's network supports. */
export { type NetOption } from './spaces/space.js';
/** A space's weight-sharing supernet, where it has one. */
export { type SupernetSpec } from './spaces/space.js';
/** An architecture of a space: the space's name, the parsed architecture and its canonical text. */
export { type Arch } from './spaces/space.js';
/** A strategy of any options type. */
export { type AnyStrategy } from './search/registry.js';
/** One saved optimiser slot (checkpoints). */
export { type OptimStateEntry } from './optim/sgd.js';
/** Options of one optimiser step. */
export { type StepOptions } from './optim/sgd.js';
/** Gradients for an optimiser step: in parameter order or by variable name. */
export { type Grads } from './optim/sgd.js';
/** Arguments of {@link cosineLr}. */
export { type CosineLrArgs } from './optim/schedule.js';
/** Options of {@link Adam}. */
export { type AdamOptions } from './optim/adam.js';
/** A weight and its gradient, as proxies see them. */
export { type WeightGradient } from './proxies/proxy.js';
/** Scoring progress: architectures done of total. */
export { type ScoreProgress } from './proxies/run.js';
/** Training progress events (start, step, epoch, end). */
export { type TrainProgress } from './train/trainer.js';
/** A row of a {@link BenchmarkTable}. */
export { type BenchmarkRow } from './benchmarks/registry.js';
/** A seeded sample without replacement of a table's architectures (`tsnas correlate`'s sample). */
export { sampleTableArchs } from './benchmarks/sample.js';
/** A cell of the NAS-Bench-101 network. */
export { type Nb101Cell } from './nn/nb101-net.js';
/** Conv + BN + ReLU, the NB101 network's stem and vertex op. */
export { type ConvBnRelu } from './nn/nb101-net.js';
/** The operation of an NB101 interior vertex. */
export { type Nb101VertexOp } from './spaces/nb101.js';
/** An NB101 operation name, input and output included. */
export { type Nb101Op } from './spaces/nb101.js';
/** Colour mode of an image folder: 'rgb' or 'gray'. */
export { type ColorMode } from './data/folder.js';
