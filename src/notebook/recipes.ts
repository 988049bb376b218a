/**
 * The training budgets of the notebooks, in one place, for three modes:
 * - full (the default): each notebook within about 5 minutes on a 2-core CPU;
 * - class (WSOL_CLASS=1): the whole set 00-08 within 20 minutes on a 2-core CPU, every model still
 *   trained far enough to show learned behaviour (a 45-minute class can run it start to end);
 * - quick (WSOL_QUICK=1): every run a few steps, each notebook well under 1 minute (tests, a first look).
 * Settings not named here come from DEFAULT_TRAIN_CONFIG (the project's recipe).
 */
import { partsDataset } from '../data/parts-dataset';
import type { Dataset } from '../data/dataset';
import { comparedMethods } from '../method/registry';
import type { TrainConfig } from '../train/config';

/** How large the notebooks' runs are: see the comment at the top of this file. */
export type NotebookMode = 'quick' | 'class' | 'full';
export const NOTEBOOK_MODES: readonly NotebookMode[] = ['quick', 'class', 'full'];

/**
 * The mode an environment asks for: WSOL_QUICK=1 is quick (it wins, so tests stay fast), WSOL_CLASS=1
 * is class, anything else full. A value other than 0 or 1 is an error rather than a silent full run.
 */
export function notebookMode(env: Record<string, string | undefined>): NotebookMode {
  for (const name of ['WSOL_QUICK', 'WSOL_CLASS']) {
    const v = env[name];
    if (v !== undefined && v !== '' && v !== '0' && v !== '1') throw new Error(`${name} must be 1 (on) or 0 (off), got "${v}"`);
  }
  if (env.WSOL_QUICK === '1') return 'quick';
  return env.WSOL_CLASS === '1' ? 'class' : 'full';
}

export interface NotebookRecipe {
  train: Partial<TrainConfig>;
  /** Sizes of the generated parts dataset. */
  data: { train: number; val: number; test: number };
}

const QUICK_DATA = { train: 64, val: 32, test: 32 };

export const NOTEBOOK_RECIPES = {
  /** 01: plain CAM, long enough to show where it fires. */
  cam: {
    full: { train: { method: 'cam', epochs: 4, probes: 4, evalLimit: 200, snapshotEvery: 10 }, data: { train: 1600, val: 200, test: 0 } },
    quick: { train: { method: 'cam', epochs: 2, probes: 4, evalLimit: 32, snapshotEvery: 1 }, data: QUICK_DATA },
    // 400 steps: the full budget already fits a class (about 40 s of training; seed 1 reaches 98% Top-1 Cls on val).
    class: { train: { method: 'cam', epochs: 4, probes: 4, evalLimit: 200, snapshotEvery: 10 }, data: { train: 1600, val: 200, test: 0 } },
  },
  /** 03, 04, 05: the full method; one run shared by the three chapters. */
  ours: {
    full: { train: { method: 'ours', epochs: 3, probes: 4, evalLimit: 200, snapshotEvery: 15 }, data: { train: 1200, val: 200, test: 0 } },
    quick: { train: { method: 'ours', epochs: 2, probes: 4, evalLimit: 32, snapshotEvery: 1 }, data: QUICK_DATA },
    class: { train: { method: 'ours', epochs: 2, probes: 4, evalLimit: 200, snapshotEvery: 15 }, data: { train: 1200, val: 200, test: 0 } },
  },
  /** 06: every compared method, per seed (reproduce() adds method and seed). */
  compare: {
    full: { train: { epochs: 2, limit: 640, evalLimit: 100, probes: 4 }, data: { train: 640, val: 100, test: 100 } },
    quick: { train: { epochs: 1, limit: 48, evalLimit: 32, probes: 4 }, data: QUICK_DATA },
    class: { train: { epochs: 2, limit: 640, evalLimit: 100, probes: 4 }, data: { train: 640, val: 100, test: 100 } },
  },
  /** 08: the exercise that trains (the reader changes one knob). */
  exercise: {
    full: { train: { method: 'cam', epochs: 2, probes: 0, evalLimit: 200 }, data: { train: 800, val: 200, test: 0 } },
    quick: { train: { method: 'cam', epochs: 1, probes: 0, evalLimit: 32 }, data: QUICK_DATA },
    class: { train: { method: 'cam', epochs: 2, probes: 0, evalLimit: 200 }, data: { train: 800, val: 200, test: 0 } },
  },
} satisfies Record<string, Record<NotebookMode, NotebookRecipe>>;

export type RecipeName = keyof typeof NOTEBOOK_RECIPES;

/** Full and class: every baseline and ours (the method registry's roles); quick: CAM against ours. */
export const COMPARE_METHODS: Record<NotebookMode, string[]> = { full: comparedMethods(), class: comparedMethods(), quick: ['cam', 'ours'] };
export const COMPARE_SEEDS: Record<NotebookMode, number[]> = { full: [1, 2], class: [1, 2], quick: [1, 2] };

/**
 * 09: CAM and ours on a folder of your own images (the chapter's example folder by default). The
 * data are the folder's, so only the training settings live here; epochs are counted over the
 * folder's train split.
 */
export const OWN_IMAGES_BUDGET: Record<NotebookMode, Partial<TrainConfig>> = {
  full: { epochs: 40, batchSize: 16, probes: 4, evalLimit: 0, snapshotEvery: 20 },
  class: { epochs: 20, batchSize: 16, probes: 4, evalLimit: 0, snapshotEvery: 20 },
  quick: { epochs: 1, batchSize: 16, probes: 4, evalLimit: 16, snapshotEvery: 2 },
};

/** A recipe for a mode (`true` / `false` still mean quick / full). */
export function notebookRecipe(name: RecipeName, mode: NotebookMode | boolean): NotebookRecipe {
  const r = NOTEBOOK_RECIPES[name];
  if (!r) throw new Error(`notebookRecipe: unknown recipe "${String(name)}"; known: ${Object.keys(NOTEBOOK_RECIPES).join(', ')}`);
  const m: NotebookMode = mode === true ? 'quick' : mode === false ? 'full' : mode;
  if (!NOTEBOOK_MODES.includes(m)) throw new Error(`notebookRecipe: unknown mode "${String(mode)}"; known: ${NOTEBOOK_MODES.join(', ')}`);
  return r[m];
}

/** The generated parts dataset of a recipe, and the key that tells runs on other data apart. */
export function recipeDataset(recipe: NotebookRecipe): { dataset: Dataset; dataKey: string } {
  return { dataset: partsDataset({ sizes: recipe.data }), dataKey: `parts:${JSON.stringify(recipe.data)}` };
}
