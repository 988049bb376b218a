/** A jet-like colormap: 0 -> dark blue, 0.5 -> green-yellow, 1 -> dark red. */
export function jet(v: number): [number, number, number] {
  const t = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  const channel = (offset: number) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - offset))));
  return [channel(3), channel(2), channel(1)];
}
