/**
 * Every method by id, each entry saying all there is to know about it: what it is, its place in a
 * comparison, the option groups it reads (their defaults and descriptions are in method-config.ts),
 * the options it fixes, and how to build (or rebuild) its model. `wsol methods`, the config checks,
 * `wsol reproduce`'s method lists and the notebooks' comparisons are read off this table: adding a
 * method is one entry here and its network file.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { OptionGroup } from './method-config';
import { AcolModel } from './baselines/acol-network';
import { SingleBranchModel, type InputHiding } from './baselines/single-branch-network';
import { ComplementaryModel, type ComplementaryVariant } from './complementary-network';
import { resolveMethodOptions, resolveModelConfig, type MethodOptions, type ModelConfig, type ResolvedMethodOptions, type ResolvedModelConfig } from './model-config';
import type { WsolModel } from './wsol-model';

export type { ModelConfig } from './model-config';

/**
 * 'proposed': the paper's method; 'baseline': a published method it is compared with; 'ablation': ours
 * with one part changed (`inDefaultRun`: one of those that explain the result, run by `wsol reproduce`
 * without --all-ablations).
 */
export type MethodRole = 'proposed' | 'baseline' | 'ablation';

/** How a method's model is made: the option groups its network reads, and its constructor. */
interface MethodNetwork {
  /** Option groups it reads besides `backbone` (which every method reads). */
  reads: OptionGroup[];
  build(resolved: ResolvedModelConfig, config: ModelConfig, net?: tfl.LayersModel): WsolModel;
}

export interface MethodEntry extends MethodNetwork {
  description: string;
  role: MethodRole;
  inDefaultRun?: boolean;
  /** Options the method sets whatever the run asks (an ablation's switch, HaS's grid). */
  fixed?: MethodOptions;
}

const complementary = (variant: ComplementaryVariant): MethodNetwork => ({
  reads: ['dropout', 'attention', 'loss'],
  build: (r, c, net) => new ComplementaryModel(c.method, r, variant, c, net),
});

const single = (hiding: InputHiding, adl: boolean): MethodNetwork => ({
  reads: [...(hiding === 'none' || hiding === 'cutmix' ? [] : (['dropout'] as const)), ...(adl ? (['adl'] as const) : [])],
  build: (r, c, net) => new SingleBranchModel(c.method, r, { hiding, adl }, c, net),
});

const acol: MethodNetwork = { reads: ['acol'], build: (r, c, net) => new AcolModel(c.method, r, c, net) };

const BOTH = { caam: true, ssam: true };

/** HaS's own grid: cells of 16/32/44/56 px at 224 px, each hidden with p = 0.5 (fill = mean). */
const HAS_GRID = { keepProbability: 0.5, checkerboard: false };

export const METHODS: Record<string, MethodEntry> = {
  ours: { description: 'complementary dropout + CAAM + SSAM + two classifiers + fusion loss (3 passes)', role: 'proposed', ...complementary(BOTH) },
  'ours-global-ssam': {
    description: 'SSAM attending over the whole map (the non-local form, attention.ssamWindow = 0)',
    role: 'ablation',
    fixed: { attention: { ssamWindow: 0 } },
    ...complementary(BOTH),
  },
  'ours-no-caam': { description: 'ours without CAAM', role: 'ablation', inDefaultRun: true, ...complementary({ caam: false, ssam: true }) },
  'ours-no-ssam': { description: 'ours without SSAM', role: 'ablation', inDefaultRun: true, ...complementary({ caam: true, ssam: false }) },
  'ours-no-fusion': { description: 'ours without the fusion loss (lambda_fuse = 0)', role: 'ablation', inDefaultRun: true, fixed: { loss: { lambdaFuse: 0 } }, ...complementary(BOTH) },
  'ours-two-pass': { description: 'fusion loss without the full-image pass', role: 'ablation', fixed: { loss: { fusion: 'two-pass' } }, ...complementary(BOTH) },
  'ours-union-target': {
    description: 'fusion target = max of both branch maps (the first reconstruction) instead of the mosaic',
    role: 'ablation',
    fixed: { loss: { fuseTarget: 'union' } },
    ...complementary(BOTH),
  },
  'ours-minmax-fusion': {
    description: 'the first fusion loss (min-max maps, union target, 200-step ramp, no gate), which collapsed',
    role: 'ablation',
    fixed: { loss: { fuseNormalization: 'minmax', fuseTarget: 'union', fuseConfidence: 0, fuseWarmupSteps: 200 } },
    ...complementary(BOTH),
  },
  'dropout-one-branch': {
    description: 'both complementary images through one classifier (no pairing, CAAM, SSAM, fusion)',
    role: 'ablation',
    inDefaultRun: true,
    ...single('complementary', false),
  },
  cam: { description: 'CAM (Zhou et al. 2016): one classifier, class activation maps', role: 'baseline', ...single('none', false) },
  has: { description: 'Hide-and-Seek (Singh & Lee 2017): random grid hiding, p = 0.5', role: 'baseline', fixed: { dropout: HAS_GRID }, ...single('grid', false) },
  acol: { description: "ACoL (Zhang et al. 2018): erase A's discriminative region before classifier B", role: 'baseline', ...acol },
  adl: { description: 'ADL (Choe & Shim 2019): attention-based dropout layers in the backbone', role: 'baseline', ...single('none', true) },
  cutmix: { description: 'CutMix (Yun et al. 2019): a box from another image pasted in, labels mixed by area (beta 1, p 1, as wsolevaluation)', role: 'baseline', ...single('cutmix', false) },
};

/** Method ids in registry order, optionally those that `keep` accepts. */
export function methodIds(keep: (e: MethodEntry) => boolean = () => true): string[] {
  return Object.entries(METHODS).filter(([, e]) => keep(e)).map(([id]) => id);
}

/** What a comparison trains: every baseline, then the proposed method. */
export function comparedMethods(): string[] {
  return [...methodIds((e) => e.role === 'baseline'), ...methodIds((e) => e.role === 'proposed')];
}

/** The ablations that explain the result (`inDefaultRun`), or the others. */
export function ablations(which: 'default' | 'more'): string[] {
  return methodIds((e) => e.role === 'ablation' && (e.inDefaultRun === true) === (which === 'default'));
}

/** The methods that read an option group (every method reads `backbone`). */
export function methodsReading(group: OptionGroup): string[] {
  return methodIds((e) => group === 'backbone' || e.reads.includes(group));
}

/** The method's entry; an unknown id is an error that lists the known ones. */
export function methodEntry(method: string): MethodEntry {
  if (!Object.hasOwn(METHODS, method)) throw new Error(`unknown method "${method}"; known: ${Object.keys(METHODS).join(', ')} (see wsol methods)`);
  return METHODS[method];
}

/** `options` with the method's fixed options laid over them, group by group. */
function withFixed(options: MethodOptions, fixed: MethodOptions | undefined): MethodOptions {
  const out: Record<string, unknown> = { ...options };
  for (const [k, v] of Object.entries(fixed ?? {})) {
    out[k] = typeof v === 'object' && !Array.isArray(v) ? { ...((out[k] as object | undefined) ?? {}), ...v } : v;
  }
  return out as MethodOptions;
}

/** The configuration the method's model is built from: its fixed options applied, defaults filled, every field checked. */
export function resolveMethodConfig(config: ModelConfig): ResolvedModelConfig {
  const e = methodEntry(config.method);
  return resolveModelConfig(withFixed(config, e.fixed) as ModelConfig);
}

/**
 * Checks a method id and the options a run gives it, before the class count is known. Without an
 * `inputSize` the checks that depend on it wait for the build.
 */
export function checkMethodOptions(method: string, options: MethodOptions, at: { backbone: ModelConfig['backbone']; inputSize?: number }): ResolvedMethodOptions {
  return resolveMethodOptions(withFixed(options, methodEntry(method).fixed), at.backbone, at.inputSize);
}

export function createModel(config: ModelConfig): WsolModel {
  return methodEntry(config.method).build(resolveMethodConfig(config), config);
}

/** Rebuilds a method around a loaded `net` (weights included). */
export function restoreModel(config: ModelConfig, net: tfl.LayersModel): WsolModel {
  return methodEntry(config.method).build(resolveMethodConfig(config), config, net);
}
