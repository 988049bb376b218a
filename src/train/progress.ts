/** Formats progress lines (the trainer reports numbers; the CLI or notebook prints them). */
export interface StepInfo {
  epoch: number;
  epochs: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  step: number;
  loss: number;
  accuracy: number;
  imagesPerSec: number;
  learningRate: number;
}

export function formatProgress(s: StepInfo, width = 24): string {
  const frac = s.stepsPerEpoch > 0 ? s.stepInEpoch / s.stepsPerEpoch : 0;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return (
    `epoch ${s.epoch + 1}/${s.epochs} [${bar}] ${s.stepInEpoch}/${s.stepsPerEpoch} ` +
    `loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(1)}% ${s.imagesPerSec.toFixed(1)} img/s lr ${s.learningRate.toExponential(2)}`
  );
}
