/**
 * Training kernels the stock wasm backend lacks or runs slowly
 * (Conv2DBackpropFilter, Conv2DBackpropInput), expressed as forward convolutions.
 * Filled in by the foundation work; registering is idempotent.
 */
export function registerWasmTrainingKernels(): void {
  // Intentionally empty until the kernels land (see issue 2).
}
