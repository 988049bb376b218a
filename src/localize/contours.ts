/**
 * The contours of a binary image as OpenCV's cv2.findContours(mode=RETR_TREE,
 * method=CHAIN_APPROX_SIMPLE) returns them, which is what wsolevaluation boxes.
 *
 * Algorithm: Suzuki & Abe's border following ("Topological structural analysis of digitized
 * binary images by border following", 1985) as OpenCV implements it.
 * - The image gets a one-pixel frame of 0 (so objects touching the edge are closed).
 * - A raster scan finds the start of every border: an OUTER border where a 1-pixel follows a
 *   0-pixel, a HOLE border where a 0-pixel follows a 1-pixel that no traced border has marked
 *   as its right bound. Foreground is 8-connected, background 4-connected: every 8-connected
 *   object has one outer border and every 4-connected hole inside it one hole border.
 * - Each border is followed around with the 8-neighbourhood search of OpenCV's icvFetchContour
 *   (clockwise to find the previous pixel, then counter-clockwise from it), marking its pixels
 *   (2, or -126 where the right neighbour is background that the search examined), so the scan
 *   starts each border once.
 *
 * Per contour we keep what wsolevaluation uses:
 * - cv2.boundingRect: the bounds of the border points (inclusive x0..x1, y0..y1 here; OpenCV's
 *   rectangle is (x0, y0, x1 - x0 + 1, y1 - y0 + 1)).
 * - cv2.contourArea: the shoelace area of the traced polygon through the border pixel centres.
 *   CHAIN_APPROX_SIMPLE keeps only the points where the direction changes; the dropped points
 *   lie on straight runs, so the area over all traced points is the same. A one-pixel object or
 *   a one-pixel-wide line has area 0.
 * - The order of the list: RETR_TREE builds the containment tree (a hole's parent is its
 *   object's outer border, an object's parent the hole around it, or the image) with every new
 *   contour put FIRST among its siblings, and the list is the tree's pre-order. So top-level
 *   objects come in reverse raster order of their first pixel, each followed by its holes and
 *   their contents. The order matters only for ties: max(contours, key=cv2.contourArea) keeps
 *   the first of equal areas.
 */

export interface Contour {
  /** True for the border of a hole (RETR_TREE's inner contours). */
  isHole: boolean;
  /** Index of the enclosing contour in the same list, -1 at the top level. */
  parent: number;
  /** Bounds of the border points, inclusive, in image pixels. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** cv2.contourArea: area of the polygon through the border points (pixel centres). */
  area: number;
}

/** Chain-code directions of OpenCV: 0 right, then counter-clockwise (y grows downwards). */
const CODE_DX = [1, 1, 0, -1, -1, -1, 0, 1];
const CODE_DY = [0, -1, -1, -1, 0, 1, 1, 1];
const UNMARKED = 1;
const MARKED = 2;
/** OpenCV's nbd | -128 as a signed byte: a border pixel whose right neighbour is background. */
const RIGHT_BOUND = -126;

/**
 * Reusable tracer for width x height images (buffers are allocated once, so a sweep over many
 * thresholds of one map allocates nothing per threshold but the result lists).
 */
export class ContourTracer {
  readonly width: number;
  readonly height: number;
  /** The padded image: (width + 2) x (height + 2), values 0, 1, 2 or -126. */
  private img: Int8Array;
  /** Per padded pixel: the contour (discovery index) that marked it last. */
  private owner: Int32Array;
  private readonly pw: number;
  private deltas: Int32Array;
  /** Padded rectangle that load() filled (cleared by the next load). */
  private lx0 = 1;
  private ly0 = 1;
  private lx1 = 0;
  private ly1 = 0;

  constructor(width: number, height: number) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new Error(`ContourTracer: width/height must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.pw = width + 2;
    this.img = new Int8Array(this.pw * (height + 2));
    this.owner = new Int32Array(this.img.length);
    const pw = this.pw;
    const d = [1, 1 - pw, -pw, -pw - 1, -1, pw - 1, pw, pw + 1];
    this.deltas = Int32Array.from([...d, ...d]);
  }

  private clear(): void {
    const { img, pw } = this;
    for (let y = this.ly0; y <= this.ly1; y++) img.fill(0, y * pw + this.lx0, y * pw + this.lx1 + 1);
  }

  /** Loads a binary image (non-zero = on), width * height values row-major. */
  loadBinary(on: ArrayLike<number>): void {
    const { width: W, height: H, pw } = this;
    if (on.length !== W * H) throw new Error(`ContourTracer: binary image has ${on.length} pixels, expected ${W}x${H}`);
    this.clear();
    for (let y = 0; y < H; y++) {
      const row = (y + 1) * pw + 1;
      for (let x = 0; x < W; x++) this.img[row + x] = on[y * W + x] !== 0 ? UNMARKED : 0;
    }
    this.lx0 = 1;
    this.ly0 = 1;
    this.lx1 = W;
    this.ly1 = H;
  }

  /**
   * Loads the pixels with q > cut. All of them must lie in the inclusive image rectangle
   * x0..x1, y0..y1 (only that rectangle is written; the rest of the image is 0).
   */
  loadAbove(q: Uint8Array, cut: number, x0: number, y0: number, x1: number, y1: number): void {
    const { width: W, pw, img } = this;
    this.clear();
    for (let y = y0; y <= y1; y++) {
      const row = (y + 1) * pw + 1;
      const src = y * W;
      for (let x = x0; x <= x1; x++) img[row + x] = q[src + x] > cut ? UNMARKED : 0;
    }
    this.lx0 = x0 + 1;
    this.ly0 = y0 + 1;
    this.lx1 = x1 + 1;
    this.ly1 = y1 + 1;
  }

  /**
   * Traces every border of the loaded image (which it marks, so load again before tracing
   * again). Returns the contours in cv2.findContours' order.
   */
  trace(): Contour[] {
    const { img, owner, pw } = this;
    const found: Contour[] = [];
    const xLast = Math.min(this.lx1 + 1, pw - 2); // OpenCV scans the image columns only
    for (let y = this.ly0; y <= this.ly1; y++) {
      const row = y * pw;
      let prev = 0;
      let lnbd = -1; // last marked pixel to the left in this row (-1: the frame)
      for (let x = this.lx0; x <= xLast; x++) {
        const p = img[row + x];
        if (p === prev) continue;
        if (prev !== 0 && prev !== UNMARKED) lnbd = row + x - 1;
        let isHole: boolean;
        if (prev === 0 && p === UNMARKED) isHole = false;
        else if (p === 0 && prev >= UNMARKED) isHole = true;
        else {
          prev = p;
          continue;
        }
        // The parent (Suzuki & Abe, table 1): B = the border of the last marked pixel; a new
        // border of the other kind than B lies inside B, of the same kind beside B.
        let parent = -1;
        if (lnbd >= 0) {
          const b = owner[lnbd];
          parent = found[b].isHole === isHole ? found[b].parent : b;
        }
        const start = isHole ? row + x - 1 : row + x;
        found.push(this.follow(start, isHole ? x - 1 : x, y, isHole, parent, found.length));
        if (isHole) lnbd = start;
        prev = img[row + x];
      }
    }
    return treeOrder(found);
  }

  /** icvFetchContour: follows one border from its start pixel, marking it. */
  private follow(i0: number, sx: number, sy: number, isHole: boolean, parent: number, id: number): Contour {
    const { img, owner, deltas: d } = this;
    const c: Contour = { isHole, parent, x0: sx - 1, y0: sy - 1, x1: sx - 1, y1: sy - 1, area: 0 };
    const sStart = isHole ? 0 : 4;
    let s = sStart;
    let i1 = i0;
    // Clockwise from the background neighbour to the previous border pixel.
    do {
      s = (s - 1) & 7;
      i1 = i0 + d[s];
    } while (img[i1] === 0 && s !== sStart);
    if (s === sStart) {
      // A single pixel.
      img[i0] = RIGHT_BOUND;
      owner[i0] = id;
      return c;
    }
    let i3 = i0;
    let px = sx;
    let py = sy;
    let minX = sx;
    let maxX = sx;
    let minY = sy;
    let maxY = sy;
    let twiceArea = 0;
    for (;;) {
      const sEnd = s;
      let i4 = i3;
      // Counter-clockwise from the previous pixel to the next border pixel.
      do i4 = i3 + d[++s];
      while (img[i4] === 0);
      s &= 7;
      if (s !== 0 && s - 1 < sEnd) {
        img[i3] = RIGHT_BOUND;
        owner[i3] = id;
      } else if (img[i3] === UNMARKED) {
        img[i3] = MARKED;
        owner[i3] = id;
      }
      const nx = px + CODE_DX[s];
      const ny = py + CODE_DY[s];
      twiceArea += px * ny - nx * py;
      px = nx;
      py = ny;
      if (px < minX) minX = px;
      else if (px > maxX) maxX = px;
      if (py < minY) minY = py;
      else if (py > maxY) maxY = py;
      if (i4 === i0 && i3 === i1) break;
      i3 = i4;
      s = (s + 4) & 7;
    }
    c.x0 = minX - 1;
    c.y0 = minY - 1;
    c.x1 = maxX - 1;
    c.y1 = maxY - 1;
    c.area = Math.abs(twiceArea) / 2;
    return c;
  }
}

/**
 * The contours (in discovery order, parents by discovery index) in RETR_TREE's list order:
 * pre-order of the tree in which each contour was inserted as the first child of its parent.
 * Parent indices are renumbered to the returned order.
 */
function treeOrder(found: Contour[]): Contour[] {
  const n = found.length;
  if (n <= 1) return found;
  const firstChild = new Int32Array(n + 1).fill(-1); // index n: the image (top level)
  const nextSibling = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const p = found[i].parent < 0 ? n : found[i].parent;
    nextSibling[i] = firstChild[p];
    firstChild[p] = i;
  }
  const out: Contour[] = [];
  const newIndex = new Int32Array(n);
  const stack: number[] = [];
  for (let c = firstChild[n]; c >= 0; c = nextSibling[c]) stack.push(c);
  stack.reverse();
  while (stack.length > 0) {
    const i = stack.pop() as number;
    newIndex[i] = out.length;
    out.push(found[i]);
    const kids: number[] = [];
    for (let c = firstChild[i]; c >= 0; c = nextSibling[c]) kids.push(c);
    for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k]);
  }
  for (const c of out) if (c.parent >= 0) c.parent = newIndex[c.parent];
  return out;
}

/** cv2.findContours(RETR_TREE, CHAIN_APPROX_SIMPLE) of a width x height binary image (non-zero = on). */
export function findContours(on: ArrayLike<number>, width: number, height: number): Contour[] {
  const tracer = new ContourTracer(width, height);
  tracer.loadBinary(on);
  return tracer.trace();
}

/** Index of the contour wsolevaluation keeps as the largest: the first of maximal cv2.contourArea (-1 if none). */
export function largestContour(contours: readonly Contour[]): number {
  let best = -1;
  for (let i = 0; i < contours.length; i++) if (best < 0 || contours[i].area > contours[best].area) best = i;
  return best;
}
