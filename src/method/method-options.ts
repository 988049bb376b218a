/**
 * The method options a training run may set (`TrainConfig.methodOptions`, `wsol train --set`),
 * typed from the model config, and listed with their defaults for `wsol methods`. The list is
 * read off the default objects of method-config.ts, so a new field appears here by itself.
 */
import { DEFAULT_ATTENTION, DEFAULT_BASELINES, DEFAULT_DROPOUT, DEFAULT_LOSS, DEFAULT_TINY_WIDTH, VGG16_HEAD_WIDTH } from './method-config';
import type { MethodOptions } from './model-config';

export type { MethodOptions } from './model-config';

export type OptionKind = 'number' | 'boolean' | 'string' | 'numbers';

export interface MethodOptionInfo {
  /** Dotted path, as `--set` takes it: `loss.lambdaFuse`, `tinyWidth`. */
  path: string;
  kind: OptionKind;
  /** The default as text (some depend on the backbone). */
  default: string;
  /** Which methods read it. */
  usedBy: string;
  description: string;
}

const OURS = 'ours and its ablations';

/** One line each; the field comments in method-config.ts say more. */
const DESCRIPTIONS: Record<string, string> = {
  tinyWidth: 'channels of the tiny backbone\'s first block (doubling per block)',
  headWidth: 'channels of the classifier head\'s 3x3 conv',
  'dropout.cellFractions': 'grid cell sides as fractions of the input side, one drawn per image',
  'dropout.keepProbability': 'probability that a cell is visible in image A',
  'dropout.checkerboard': 'alternate cells instead of drawing them',
  'dropout.fillValue': 'value of hidden pixels, in normalised units (0 = dataset mean)',
  'attention.caamReduction': 'CAAM bottleneck reduction r (2C -> 2C/r)',
  'attention.ssamQueryReduction': 'SSAM query/key reduction (C -> C/q)',
  'attention.ssamWindow': 'SSAM attention radius in feature cells (0 = whole map, the non-local form)',
  'attention.inferenceMap': 'max (union of both min-max maps) or mean (CAM of the averaged classifier) at inference',
  'loss.lambdaClsFull': 'weight of the cross-entropy on the full-image logits',
  'loss.lambdaFuse': 'weight of the attention-based fusion loss',
  'loss.fusion': 'three-pass (full-image maps pulled to the target) or two-pass',
  'loss.fuseTarget': 'mosaic (each branch trusted where it saw pixels) or union (max of both maps)',
  'loss.fuseNormalization': 'bounded (relu(S) / max(peak, 1)) or minmax, in the loss',
  'loss.fuseConfidence': 'an image enters the fusion term once its true class has this probability',
  'loss.fuseWarmupSteps': 'steps over which lambdaFuse ramps up from 0 (0 = none)',
  'loss.fuseTargetThreshold': 'binarise the fusion target per image at this fraction of its peak (0 = soft target)',
  'loss.fullPassTrainsBackbone': 'whether the full-image pass back-propagates into the backbone',
  acolThreshold: 'ACoL: erase where A\'s normalised map >= this',
  adlDropRate: 'ADL: probability of using the drop mask (else the importance map)',
  adlThreshold: 'ADL: drop where the channel-mean attention >= this fraction of its maximum',
};

function kindOf(v: unknown): OptionKind {
  if (Array.isArray(v)) return 'numbers';
  if (typeof v === 'boolean') return 'boolean';
  return typeof v === 'number' ? 'number' : 'string';
}

function group(prefix: string, defaults: object, usedBy: string): MethodOptionInfo[] {
  return Object.entries(defaults).map(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    const shown = Array.isArray(v) ? v.map((x: number) => +x.toFixed(4)).join(',') : String(v);
    return { path, kind: kindOf(v), default: shown, usedBy, description: DESCRIPTIONS[path] ?? '' };
  });
}

/** Every option, in the order `wsol methods` prints them. */
export function methodOptionList(): MethodOptionInfo[] {
  return [
    ...group('', { tinyWidth: DEFAULT_TINY_WIDTH }, 'all (tiny backbone)'),
    { path: 'headWidth', kind: 'number', default: `4 x tinyWidth (tiny), ${VGG16_HEAD_WIDTH} (vgg16)`, usedBy: 'all', description: DESCRIPTIONS.headWidth },
    ...group('dropout', DEFAULT_DROPOUT, `${OURS}, has`),
    ...group('attention', DEFAULT_ATTENTION, OURS),
    ...group('loss', DEFAULT_LOSS, OURS),
    ...group('', { acolThreshold: DEFAULT_BASELINES.acolThreshold }, 'acol'),
    ...group('', { adlDropRate: DEFAULT_BASELINES.adlDropRate, adlThreshold: DEFAULT_BASELINES.adlThreshold }, 'adl'),
  ];
}

function parseValue(info: MethodOptionInfo, raw: string, where: string): unknown {
  switch (info.kind) {
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new Error(`${where}: ${info.path} expects a number, got "${raw}"`);
      return v;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new Error(`${where}: ${info.path} expects true or false, got "${raw}"`);
      return raw === 'true';
    case 'numbers': {
      const vs = raw.split(',').map((s) => Number(s));
      if (raw.trim() === '' || vs.some((v) => !Number.isFinite(v))) throw new Error(`${where}: ${info.path} expects comma-separated numbers, got "${raw}"`);
      return vs;
    }
    default:
      return raw;
  }
}

/**
 * Applies `path=value` (e.g. `loss.lambdaFuse=0.5`) to a copy of `options`. Errors name `where`
 * (the flag, e.g. `--set`) and the option; values are checked further when the model is built.
 */
export function setMethodOption(options: MethodOptions, assignment: string, where = '--set'): MethodOptions {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new Error(`${where} expects <option>=<value> (e.g. loss.lambdaFuse=0.5), got "${assignment}"`);
  const path = assignment.slice(0, eq).trim();
  const info = methodOptionList().find((o) => o.path === path);
  if (!info) throw new Error(`${where}: unknown method option "${path}" (wsol methods lists them all)`);
  const value = parseValue(info, assignment.slice(eq + 1).trim(), where);
  const dot = path.indexOf('.');
  const out: Record<string, unknown> = { ...options };
  if (dot < 0) out[path] = value;
  else {
    const [head, key] = [path.slice(0, dot), path.slice(dot + 1)];
    out[head] = { ...((out[head] as object | undefined) ?? {}), [key]: value };
  }
  return out as MethodOptions;
}
