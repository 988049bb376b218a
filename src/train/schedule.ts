/** Learning-rate schedules: a multiplier of the base rate as a function of progress. */
export type ScheduleName = 'constant' | 'step' | 'cosine';

export interface ScheduleConfig {
  name: ScheduleName;
  /** `step`: multiply by `gamma` at each of these epochs. */
  milestones: number[];
  gamma: number;
  /** Linear warm-up over the first steps (0 = none). */
  warmupSteps: number;
}

export const DEFAULT_SCHEDULE: ScheduleConfig = { name: 'cosine', milestones: [], gamma: 0.1, warmupSteps: 0 };

export function learningRateAt(base: number, s: ScheduleConfig, step: number, totalSteps: number, stepsPerEpoch: number): number {
  const warm = s.warmupSteps > 0 && step < s.warmupSteps ? (step + 1) / s.warmupSteps : 1;
  switch (s.name) {
    case 'constant':
      return base * warm;
    case 'step': {
      const epoch = Math.floor(step / Math.max(1, stepsPerEpoch));
      const drops = s.milestones.filter((m) => epoch >= m).length;
      return base * warm * Math.pow(s.gamma, drops);
    }
    case 'cosine':
      return base * warm * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / Math.max(1, totalSteps)));
  }
}
