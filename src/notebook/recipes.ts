/**
 * The training budgets of the notebooks, in one place: each recipe sizes a run so its notebook
 * finishes within 5 minutes on a 2-core CPU (full mode) or well under 1 minute (quick mode).
 * Settings not named here come from DEFAULT_TRAIN_CONFIG (the project's recipe).
 */
import { partsDataset } from '../data/parts-dataset';
import type { Dataset } from '../data/dataset';
import { comparedMethods } from '../method/registry';
import type { TrainConfig } from '../train/config';

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
  },
  /** 03, 04, 05: the full method; one run shared by the three chapters. */
  ours: {
    full: { train: { method: 'ours', epochs: 3, probes: 4, evalLimit: 200, snapshotEvery: 15 }, data: { train: 1200, val: 200, test: 0 } },
    quick: { train: { method: 'ours', epochs: 2, probes: 4, evalLimit: 32, snapshotEvery: 1 }, data: QUICK_DATA },
  },
  /** 06: every compared method, per seed (reproduce() adds method and seed). */
  compare: {
    full: { train: { epochs: 2, limit: 640, evalLimit: 100, probes: 4 }, data: { train: 640, val: 100, test: 100 } },
    quick: { train: { epochs: 1, limit: 48, evalLimit: 32, probes: 4 }, data: QUICK_DATA },
  },
  /** 08: the exercise that trains (the reader changes one knob). */
  exercise: {
    full: { train: { method: 'cam', epochs: 2, probes: 0, evalLimit: 200 }, data: { train: 800, val: 200, test: 0 } },
    quick: { train: { method: 'cam', epochs: 1, probes: 0, evalLimit: 32 }, data: QUICK_DATA },
  },
} satisfies Record<string, { full: NotebookRecipe; quick: NotebookRecipe }>;

export type RecipeName = keyof typeof NOTEBOOK_RECIPES;

/** Full: every baseline and ours (the method registry's roles); quick: CAM against ours. */
export const COMPARE_METHODS = { full: comparedMethods(), quick: ['cam', 'ours'] };
export const COMPARE_SEEDS = { full: [1, 2], quick: [1, 2] };

export function notebookRecipe(name: RecipeName, quick: boolean): NotebookRecipe {
  const r = NOTEBOOK_RECIPES[name];
  if (!r) throw new Error(`notebookRecipe: unknown recipe "${String(name)}"; known: ${Object.keys(NOTEBOOK_RECIPES).join(', ')}`);
  return quick ? r.quick : r.full;
}

/** The generated parts dataset of a recipe, and the key that tells runs on other data apart. */
export function recipeDataset(recipe: NotebookRecipe): { dataset: Dataset; dataKey: string } {
  return { dataset: partsDataset({ sizes: recipe.data }), dataKey: `parts:${JSON.stringify(recipe.data)}` };
}
