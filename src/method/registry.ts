/** Every method by id: a one-line description and how to build (or rebuild) its model. */
import type * as tfl from '@tensorflow/tfjs-layers';
import { AcolModel } from './baselines/acol-network';
import { SingleBranchModel, type InputHiding } from './baselines/single-branch-network';
import { ComplementaryModel } from './complementary-network';
import { resolveModelConfig, type ModelConfig } from './model-config';
import type { WsolModel } from './wsol-model';

export type { ModelConfig } from './model-config';

interface MethodEntry {
  description: string;
  build(config: ModelConfig, net?: tfl.LayersModel): WsolModel;
}

function complementary(caam: boolean, ssam: boolean, loss: ModelConfig['loss'] = {}) {
  return (c: ModelConfig, net?: tfl.LayersModel) => {
    const r = resolveModelConfig({ ...c, loss: { ...(c.loss ?? {}), ...loss } });
    return new ComplementaryModel(c.method, r, { caam, ssam }, c, net);
  };
}

function single(hiding: InputHiding, adl: boolean, dropout: ModelConfig['dropout'] = {}) {
  return (c: ModelConfig, net?: tfl.LayersModel) =>
    new SingleBranchModel(c.method, resolveModelConfig({ ...c, dropout: { ...(c.dropout ?? {}), ...dropout } }), { hiding, adl }, c, net);
}

/** HaS's own grid: cells of 16/32/44/56 px at 224 px, each hidden with p = 0.5 (fill = mean). */
const HAS_GRID = { keepProbability: 0.5, checkerboard: false };

export const METHODS: Record<string, MethodEntry> = {
  ours: { description: 'complementary dropout + CAAM + SSAM + two classifiers + fusion loss (3 passes)', build: complementary(true, true) },
  'ours-no-caam': { description: 'ablation: ours without CAAM', build: complementary(false, true) },
  'ours-no-ssam': { description: 'ablation: ours without SSAM', build: complementary(true, false) },
  'ours-global-ssam': {
    description: 'ablation: SSAM attending over the whole map (the non-local form, attention.ssamWindow = 0)',
    build: (c, net) => complementary(true, true)({ ...c, attention: { ...(c.attention ?? {}), ssamWindow: 0 } }, net),
  },
  'ours-no-fusion': { description: 'ablation: ours without the fusion loss (lambda_fuse = 0)', build: complementary(true, true, { lambdaFuse: 0 }) },
  'ours-two-pass': { description: 'ablation: fusion loss without the full-image pass', build: complementary(true, true, { fusion: 'two-pass' }) },
  'ours-union-target': { description: 'ablation: fusion target = max of both branch maps (the first reconstruction) instead of the mosaic', build: complementary(true, true, { fuseTarget: 'union' }) },
  'ours-minmax-fusion': {
    description: 'ablation: the first fusion loss (min-max maps, union target, 200-step ramp, no gate), which collapsed',
    build: complementary(true, true, { fuseNormalization: 'minmax', fuseTarget: 'union', fuseConfidence: 0, fuseWarmupSteps: 200 }),
  },
  'dropout-one-branch': { description: 'ablation: both complementary images through one classifier (no pairing, CAAM, SSAM, fusion)', build: single('complementary', false) },
  cam: { description: 'CAM (Zhou et al. 2016): one classifier, class activation maps', build: single('none', false) },
  has: { description: 'Hide-and-Seek (Singh & Lee 2017): random grid hiding, p = 0.5', build: single('grid', false, HAS_GRID) },
  acol: { description: 'ACoL (Zhang et al. 2018): erase A\'s discriminative region before classifier B', build: (c, net) => new AcolModel(c.method, resolveModelConfig(c), c, net) },
  adl: { description: 'ADL (Choe & Shim 2019): attention-based dropout layers in the backbone', build: single('none', true) },
  cutmix: { description: 'CutMix (Yun et al. 2019): a box from another image pasted in, labels mixed by area (beta 1, p 1)', build: single('cutmix', false) },
};

function entry(method: string): MethodEntry {
  const e = METHODS[method];
  if (!e) throw new Error(`unknown method "${method}"; known: ${Object.keys(METHODS).join(', ')}`);
  return e;
}

export function createModel(config: ModelConfig): WsolModel {
  return entry(config.method).build(config);
}

/** Rebuilds a method around a loaded `net` (weights included). */
export function restoreModel(config: ModelConfig, net: tfl.LayersModel): WsolModel {
  return entry(config.method).build(config, net);
}
