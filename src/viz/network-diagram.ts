/**
 * An SVG diagram of the complementary network (our reconstruction, docs/method.md): where
 * complementary dropout, the shared backbone, CAAM, SSAM, the two classifiers and the fusion
 * loss sit, with the tensor shapes of a given configuration.
 */

export interface DiagramShapes {
  /** e.g. '64x64x3' */
  image: string;
  /** e.g. '16x16x64' */
  features: string;
  /** e.g. '16x16xK' */
  maps: string;
  /** The fusion target the model builds (default: the project's default, 'mosaic'). */
  fuseTarget?: 'mosaic' | 'union';
  /** SSAM's attention radius in feature cells (0: the whole map; default 2, the project's default). */
  ssamWindow?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function networkDiagramSvg(shapes: DiagramShapes): string {
  const parts: string[] = [];
  const box = (x: number, y: number, w: number, h: number, label: string, fill: string, sub?: string) => {
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${fill}" stroke="#333"/>`);
    parts.push(`<text x="${x + w / 2}" y="${y + h / 2 + (sub ? -2 : 4)}" text-anchor="middle" font-size="13">${esc(label)}</text>`);
    if (sub) parts.push(`<text x="${x + w / 2}" y="${y + h / 2 + 13}" text-anchor="middle" font-size="10" fill="#555">${esc(sub)}</text>`);
  };
  const arrow = (x1: number, y1: number, x2: number, y2: number, label?: string, dashed = false) => {
    parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"${dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
    if (label) parts.push(`<text x="${(x1 + x2) / 2}" y="${(y1 + y2) / 2 - 5}" text-anchor="middle" font-size="10" fill="#333">${esc(label)}</text>`);
  };
  const yA = 40;
  const yB = 170;
  const h = 46;
  box(10, 105, 80, h, 'image x', '#eee', shapes.image);
  box(120, 95, 110, 66, 'complementary', '#ffe9b3', 'dropout (mask M)');
  arrow(90, 128, 120, 128);
  box(260, yA, 100, h, 'backbone f', '#cfe3ff', 'x_A = M x');
  box(260, yB, 100, h, 'backbone f', '#cfe3ff', 'x_B = (1-M) x');
  arrow(230, 115, 260, yA + h / 2);
  arrow(230, 141, 260, yB + h / 2);
  parts.push(`<text x="310" y="${(yA + yB + h) / 2 + 4}" text-anchor="middle" font-size="10" fill="#555">shared weights</text>`);
  box(400, yA, 80, yB + h - yA, 'CAAM', '#d8f5d0', 'channels of A and B');
  arrow(360, yA + h / 2, 400, yA + h / 2, shapes.features);
  arrow(360, yB + h / 2, 400, yB + h / 2, shapes.features);
  const r = shapes.ssamWindow ?? 2;
  const reach = r > 0 ? `${2 * r + 1}x${2 * r + 1} window` : 'whole map';
  box(520, yA, 80, h, 'SSAM', '#f5d0e6', reach);
  box(520, yB, 80, h, 'SSAM', '#f5d0e6', reach);
  arrow(480, yA + h / 2, 520, yA + h / 2, "F'_A");
  arrow(480, yB + h / 2, 520, yB + h / 2, "F'_B");
  box(640, yA, 100, h, 'classifier A', '#e3d9ff', `maps S_A ${shapes.maps}`);
  box(640, yB, 100, h, 'classifier B', '#e3d9ff', `maps S_B ${shapes.maps}`);
  arrow(600, yA + h / 2, 640, yA + h / 2, 'G_A');
  arrow(600, yB + h / 2, 640, yB + h / 2, 'G_B');
  box(790, 10, 110, 40, 'GAP -> CE(y)', '#eee');
  box(790, yB + 60, 110, 40, 'GAP -> CE(y)', '#eee');
  arrow(740, yA + 10, 790, 30);
  arrow(740, yB + h - 10, 790, yB + 80);
  if ((shapes.fuseTarget ?? 'mosaic') === 'mosaic') {
    box(790, 95, 110, 66, 'mosaic target T', '#fff3b0', 'sg: A where x_A saw,');
    parts.push(`<text x="845" y="150" text-anchor="middle" font-size="10" fill="#555">B elsewhere</text>`);
  } else box(790, 95, 110, 66, 'union target T', '#fff3b0', 'sg(max(att A, att B))');
  arrow(740, yA + h - 6, 790, 110);
  arrow(740, yB + 6, 790, 146);
  box(940, 95, 110, 66, 'fusion loss', '#ffd0c8', 'mean|Abar - T| + ...');
  arrow(900, 128, 940, 128);
  parts.push(`<text x="995" y="200" text-anchor="middle" font-size="10" fill="#333">Abar, Bbar: maps of the</text>`);
  parts.push(`<text x="995" y="213" text-anchor="middle" font-size="10" fill="#333">full image x in both branches</text>`);
  arrow(995, 188, 995, 163, undefined, true);
  parts.push(`<text x="10" y="262" font-size="11" fill="#555">Paper: complementary dropout, CAAM, SSAM, parallel classifiers, an attention-based fusion loss. Where each sits, the equations and the loss form are this project's reconstruction.</text>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="1060" height="275" viewBox="0 0 1060 275" font-family="sans-serif">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>` +
    parts.join('') +
    `</svg>`
  );
}
