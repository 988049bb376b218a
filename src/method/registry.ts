/** Every method by id: a one-line description, the options it fixes, and how to build (or rebuild) its model. */
import type * as tfl from '@tensorflow/tfjs-layers';
import { AcolModel } from './baselines/acol-network';
import { SingleBranchModel, type InputHiding } from './baselines/single-branch-network';
import { ComplementaryModel, type ComplementaryVariant } from './complementary-network';
import type { MethodOptions } from './method-options';
import { resolveMethodOptions, resolveModelConfig, type ModelConfig, type ResolvedMethodOptions, type ResolvedModelConfig } from './model-config';
import type { WsolModel } from './wsol-model';

export type { ModelConfig } from './model-config';

interface MethodEntry {
  description: string;
  /** Options the method sets whatever the run asks (an ablation's switch, HaS's grid). */
  fixed?: MethodOptions;
  build(resolved: ResolvedModelConfig, config: ModelConfig, net?: tfl.LayersModel): WsolModel;
}

const complementary = (variant: ComplementaryVariant) => (r: ResolvedModelConfig, c: ModelConfig, net?: tfl.LayersModel) =>
  new ComplementaryModel(c.method, r, variant, c, net);

const single = (hiding: InputHiding, adl: boolean) => (r: ResolvedModelConfig, c: ModelConfig, net?: tfl.LayersModel) =>
  new SingleBranchModel(c.method, r, { hiding, adl }, c, net);

const BOTH = { caam: true, ssam: true };

/** HaS's own grid: cells of 16/32/44/56 px at 224 px, each hidden with p = 0.5 (fill = mean). */
const HAS_GRID = { keepProbability: 0.5, checkerboard: false };

export const METHODS: Record<string, MethodEntry> = {
  ours: { description: 'complementary dropout + CAAM + SSAM + two classifiers + fusion loss (3 passes)', build: complementary(BOTH) },
  'ours-no-caam': { description: 'ablation: ours without CAAM', build: complementary({ caam: false, ssam: true }) },
  'ours-no-ssam': { description: 'ablation: ours without SSAM', build: complementary({ caam: true, ssam: false }) },
  'ours-global-ssam': {
    description: 'ablation: SSAM attending over the whole map (the non-local form, attention.ssamWindow = 0)',
    fixed: { attention: { ssamWindow: 0 } },
    build: complementary(BOTH),
  },
  'ours-no-fusion': { description: 'ablation: ours without the fusion loss (lambda_fuse = 0)', fixed: { loss: { lambdaFuse: 0 } }, build: complementary(BOTH) },
  'ours-two-pass': { description: 'ablation: fusion loss without the full-image pass', fixed: { loss: { fusion: 'two-pass' } }, build: complementary(BOTH) },
  'ours-union-target': {
    description: 'ablation: fusion target = max of both branch maps (the first reconstruction) instead of the mosaic',
    fixed: { loss: { fuseTarget: 'union' } },
    build: complementary(BOTH),
  },
  'ours-minmax-fusion': {
    description: 'ablation: the first fusion loss (min-max maps, union target, 200-step ramp, no gate), which collapsed',
    fixed: { loss: { fuseNormalization: 'minmax', fuseTarget: 'union', fuseConfidence: 0, fuseWarmupSteps: 200 } },
    build: complementary(BOTH),
  },
  'dropout-one-branch': { description: 'ablation: both complementary images through one classifier (no pairing, CAAM, SSAM, fusion)', build: single('complementary', false) },
  cam: { description: 'CAM (Zhou et al. 2016): one classifier, class activation maps', build: single('none', false) },
  has: { description: 'Hide-and-Seek (Singh & Lee 2017): random grid hiding, p = 0.5', fixed: { dropout: HAS_GRID }, build: single('grid', false) },
  acol: { description: 'ACoL (Zhang et al. 2018): erase A\'s discriminative region before classifier B', build: (r, c, net) => new AcolModel(c.method, r, c, net) },
  adl: { description: 'ADL (Choe & Shim 2019): attention-based dropout layers in the backbone', build: single('none', true) },
  cutmix: { description: 'CutMix (Yun et al. 2019): a box from another image pasted in, labels mixed by area (beta 1, p 1)', build: single('cutmix', false) },
};

function entry(method: string): MethodEntry {
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
  const e = entry(config.method);
  return resolveModelConfig(withFixed(config, e.fixed) as ModelConfig);
}

/**
 * Checks a method id and the options a run gives it, before the class count is known. Without an
 * `inputSize` the checks that depend on it wait for the build.
 */
export function checkMethodOptions(method: string, options: MethodOptions, at: { backbone: ModelConfig['backbone']; inputSize?: number }): ResolvedMethodOptions {
  return resolveMethodOptions(withFixed(options, entry(method).fixed), at.backbone, at.inputSize);
}

export function createModel(config: ModelConfig): WsolModel {
  return entry(config.method).build(resolveMethodConfig(config), config);
}

/** Rebuilds a method around a loaded `net` (weights included). */
export function restoreModel(config: ModelConfig, net: tfl.LayersModel): WsolModel {
  return entry(config.method).build(resolveMethodConfig(config), config, net);
}
