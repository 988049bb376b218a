/** Small real fixtures for the data tests: image files, IDX files, metadata trees, a local HTTP server. */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import sharp from 'sharp';

const created: string[] = [];
process.on('exit', () => created.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A fresh temp folder, removed when the test process exits. */
export function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wsol-${tag}-`));
  created.push(dir);
  return dir;
}

/** Pixel (x, y) of the fixture pattern: a value anyone can recompute. */
export function patternPixel(x: number, y: number, seed: number): [number, number, number] {
  return [(x * 7 + seed * 31) % 256, (y * 11 + seed * 17) % 256, (x * y + seed) % 256];
}

export function patternRgb(w: number, h: number, seed: number): Uint8Array {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(patternPixel(x, y, seed), (y * w + x) * 3);
  return data;
}

export async function writeImage(file: string, w: number, h: number, seed: number, format: 'png' | 'jpeg' = 'png'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const s = sharp(Buffer.from(patternRgb(w, h, seed)), { raw: { width: w, height: h, channels: 3 } });
  await (format === 'png' ? s.png() : s.jpeg({ quality: 95 })).toFile(file);
}

/** A grey PNG mask: 255 inside the rectangle, 0 outside. */
export async function writeMask(file: string, w: number, h: number, rect: { x0: number; y0: number; x1: number; y1: number }): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = Buffer.alloc(w * h);
  for (let y = rect.y0; y <= rect.y1; y++) for (let x = rect.x0; x <= rect.x1; x++) data[y * w + x] = 255;
  await sharp(data, { raw: { width: w, height: h, channels: 1 } }).png().toFile(file);
}

/** IDX bytes written by hand: magic, dims (big-endian), data. */
export function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/** A Fashion-MNIST-like folder: `nTrain` / `nTest` 28x28 items (a filled square per item), labels i % 10. */
export function writeFashionFixture(dir: string, nTrain: number, nTest: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const write = (prefix: string, n: number) => {
    const pixels = new Uint8Array(n * 784);
    for (let i = 0; i < n; i++) {
      const side = 8 + (i % 12);
      const o = Math.floor((28 - side) / 2);
      for (let y = o; y < o + side; y++) for (let x = o; x < o + side; x++) pixels[i * 784 + y * 28 + x] = 200;
    }
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
    fs.writeFileSync(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), zlib.gzipSync(idxBytes(2051, [n, 28, 28], pixels)));
    fs.writeFileSync(path.join(dir, `${prefix}-labels-idx1-ubyte`), idxBytes(2049, [n], labels));
  };
  write('train', nTrain);
  write('t10k', nTest);
}

export interface TestServer {
  url: string;
  requests: { path: string; range: string | undefined }[];
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 with a free port. */
export async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Serves a byte buffer with Range support (206 + Content-Range). */
export function serveBytes(body: Buffer, res: http.ServerResponse, range: string | undefined): void {
  const m = range ? /bytes=(\d+)-/.exec(range) : null;
  if (m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length });
  res.end(body);
}
