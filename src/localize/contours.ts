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
 * Reusable tracer for the binary images levels > cut of one quantised width x height map
 * (levels 0..255). It keeps the current binary image with OpenCV's marks in one array: going
 * to a higher cut only switches off the pixels of the levels in between (found through a
 * counting sort of the levels), and after each trace the marked pixels are set back to 1. So a
 * sweep over rising cuts costs one pass over the pixels in all, plus the scans.
 */
export class ContourTracer {
  readonly width: number;
  readonly height: number;
  /** The padded binary image of the current cut: 0, 1, or OpenCV's marks 2 and -126 during a trace. */
  private img: Int8Array;
  /** Per padded pixel: the contour (discovery index) that marked it last. */
  private owner: Int32Array;
  /** Pixels marked by the current trace (set back to 1 afterwards). */
  private marked: Int32Array;
  private markedCount = 0;
  /** Padded pixel indices sorted by level; levelStart[L] .. levelStart[L + 1] have level L. */
  private byLevel: Int32Array;
  private levelStart = new Int32Array(257);
  /** Per row y and level L: first and last column with a level >= L (first > last: none). */
  private spanFirst: Int32Array;
  private spanLast: Int32Array;
  /** Pixels with level > cut are on in img; -1 before setLevels (nothing loaded: all off). */
  private cut = -1;
  private loaded = false;
  private readonly pw: number;
  private deltas: Int32Array;

  constructor(width: number, height: number) {
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      throw new Error(`ContourTracer: width/height must be positive integers, got ${width}x${height}`);
    }
    this.width = width;
    this.height = height;
    this.pw = width + 2;
    const n = this.pw * (height + 2);
    this.img = new Int8Array(n);
    this.owner = new Int32Array(n);
    this.marked = new Int32Array(n);
    this.byLevel = new Int32Array(width * height);
    this.spanFirst = new Int32Array(height * 256);
    this.spanLast = new Int32Array(height * 256);
    const pw = this.pw;
    const d = [1, 1 - pw, -pw, -pw - 1, -1, pw - 1, pw, pw + 1];
    this.deltas = Int32Array.from([...d, ...d]);
  }

  /** Sets the image to trace: width * height integer levels 0..255, row-major; traceAbove(cut) traces levels > cut. */
  setLevels(levels: ArrayLike<number>): void {
    const { width: W, height: H, pw, img, levelStart: start } = this;
    if (levels.length !== W * H) throw new Error(`ContourTracer: image has ${levels.length} pixels, expected ${W}x${H}`);
    const counts = new Int32Array(257);
    const bytes = levels instanceof Uint8Array;
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      if (!bytes && !(Number.isInteger(l) && l >= 0 && l <= 255)) throw new Error(`ContourTracer: level ${l} at pixel ${i} is not an integer in 0..255`);
      counts[l + 1]++;
    }
    start.set(counts);
    for (let l = 1; l < 257; l++) start[l] += start[l - 1];
    const cursor = start.slice(0, 256);
    const { spanFirst: first, spanLast: last } = this;
    first.fill(W);
    last.fill(-1);
    for (let y = 0, i = 0; y < H; y++) {
      const row = (y + 1) * pw + 1;
      const s = y * 256;
      for (let x = 0; x < W; x++, i++) {
        const l = levels[i];
        this.byLevel[cursor[l]++] = row + x;
        img[row + x] = 1;
        if (x < first[s + l]) first[s + l] = x;
        last[s + l] = x;
      }
      for (let l = 254; l >= 0; l--) {
        if (first[s + l + 1] < first[s + l]) first[s + l] = first[s + l + 1];
        if (last[s + l + 1] > last[s + l]) last[s + l] = last[s + l + 1];
      }
    }
    this.cut = -1;
    this.loaded = true;
  }

  /** Makes img the binary image levels > cut (from the current one when the cut rises). */
  private moveTo(target: number): void {
    const { img, byLevel, levelStart: start } = this;
    const cut = Math.max(-1, Math.min(target, 255)); // every cut >= 255 leaves nothing on
    if (cut < this.cut) {
      // Going down: switch the levels in (cut, previous cut] back on.
      for (let k = start[cut + 1]; k < start[this.cut + 1]; k++) img[byLevel[k]] = 1;
    } else {
      for (let k = start[this.cut + 1]; k < start[cut + 1]; k++) img[byLevel[k]] = 0;
    }
    this.cut = cut;
  }

  /**
   * Traces every border of the binary image levels > cut and returns the contours in
   * cv2.findContours' order. The raster scan visits, in each row, only the columns from the
   * first to one past the last pixel that is on (elsewhere the row is 0: no border starts).
   */
  traceAbove(cut: number): Contour[] {
    if (!this.loaded) throw new Error('ContourTracer: setLevels() first');
    if (!Number.isInteger(cut)) throw new Error(`ContourTracer: cut must be an integer, got ${cut}`);
    this.moveTo(cut);
    const { img, owner, pw, spanFirst, spanLast } = this;
    const found: Contour[] = [];
    if (this.cut >= 255) return found;
    const level = this.cut + 1;
    for (let y = 1; y <= this.height; y++) {
      const s = (y - 1) * 256 + level;
      if (spanLast[s] < 0) continue;
      const row = y * pw;
      const xFirst = spanFirst[s] + 1;
      const xLast = Math.min(spanLast[s] + 2, pw - 2); // one past the last on pixel; OpenCV scans image columns only
      let prev = 0;
      let lnbd = -1; // last marked pixel to the left in this row (-1: the frame)
      for (let x = xFirst; x <= xLast; x++) {
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
    for (let k = 0; k < this.markedCount; k++) img[this.marked[k]] = UNMARKED;
    this.markedCount = 0;
    return treeOrder(found);
  }

  private setMark(i: number, value: number, id: number): void {
    if (this.img[i] === UNMARKED) this.marked[this.markedCount++] = i;
    this.img[i] = value;
    this.owner[i] = id;
  }

  /** icvFetchContour: follows one border from its start pixel, marking it. */
  private follow(i0: number, sx: number, sy: number, isHole: boolean, parent: number, id: number): Contour {
    const { img, deltas: d } = this;
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
      this.setMark(i0, RIGHT_BOUND, id);
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
      if (s !== 0 && s - 1 < sEnd) this.setMark(i3, RIGHT_BOUND, id);
      else if (img[i3] === UNMARKED) this.setMark(i3, MARKED, id);
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
  tracer.setLevels(Uint8Array.from(on, (v) => (v !== 0 ? 1 : 0)));
  return tracer.traceAbove(0);
}

/** Index of the contour wsolevaluation keeps as the largest: the first of maximal cv2.contourArea (-1 if none). */
export function largestContour(contours: readonly Contour[]): number {
  let best = -1;
  for (let i = 0; i < contours.length; i++) if (best < 0 || contours[i].area > contours[best].area) best = i;
  return best;
}
