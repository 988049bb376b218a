/** Places PNG images side by side (top-aligned, white gaps) in one PNG, for compact notebook output. */
import sharp from 'sharp';

export async function imageRow(pngs: Uint8Array[], gap = 6): Promise<Buffer> {
  if (pngs.length === 0) throw new Error('imageRow: no images given');
  if (!(Number.isInteger(gap) && gap >= 0)) throw new Error(`imageRow: gap must be a non-negative integer, got ${gap}`);
  const sizes = await Promise.all(
    pngs.map(async (p, i) => {
      const m = await sharp(Buffer.from(p)).metadata();
      if (!m.width || !m.height) throw new Error(`imageRow: image ${i} is not a readable image`);
      return { width: m.width, height: m.height };
    }),
  );
  const width = sizes.reduce((a, s) => a + s.width, 0) + gap * (pngs.length - 1);
  const height = Math.max(...sizes.map((s) => s.height));
  let left = 0;
  const layers = pngs.map((p, i) => {
    const layer = { input: Buffer.from(p), left, top: 0 };
    left += sizes[i].width + gap;
    return layer;
  });
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(layers).png().toBuffer();
}
