import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { downloadFile } from '../../src/data/download';
import { extractTar, safeEntryPath } from '../../src/data/tar-extract';
import { serveBytes, startServer, tempDir } from './fixtures';

/** One ustar header + payload, written by hand (independent of the reader under test). */
function tarEntry(name: string, body: Buffer, type = '0', link = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write(type, 156);
  h.write(link, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([h, body, pad]);
}

const END = Buffer.alloc(1024);

test('extractTar: a system-tar .tar.gz with nested folders and a 150-character name round-trips', async () => {
  const src = tempDir('tarsrc');
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(25)}.txt`;
  const files: Record<string, Buffer> = { 'top/a.txt': Buffer.from('hello\n'), 'top/sub/b.bin': crypto.randomBytes(70000), [`top/${long}`]: Buffer.from('long'), 'top/empty': Buffer.alloc(0) };
  for (const [f, b] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    fs.writeFileSync(path.join(src, f), b);
  }
  const archive = path.join(tempDir('tar'), 'x.tar.gz');
  execFileSync('tar', ['czf', archive, '-C', src, 'top']);
  const dest = tempDir('tarout');
  const progress: number[] = [];
  const r = await extractTar(archive, dest, { onProgress: (d) => progress.push(d) });
  assert.equal(r.files, 4);
  for (const [f, b] of Object.entries(files)) assert.ok(fs.readFileSync(path.join(dest, f)).equals(b), f);
  assert.equal(progress[progress.length - 1], fs.statSync(archive).size);
  assert.deepEqual(fs.readdirSync(path.join(dest, 'top')).filter((n) => n.includes('extract-')), [], 'no temp files left');
});

test('extractTar: rejects absolute paths and "..", skips links with a warning, reports truncation', async () => {
  assert.throws(() => safeEntryPath('/etc/passwd', 'a.tgz'), /a\.tgz: refusing absolute path "\/etc\/passwd"/);
  assert.throws(() => safeEntryPath('x/../../evil', 'a.tgz'), /refusing path with "\.\." "x\/\.\.\/\.\.\/evil"/);
  assert.equal(safeEntryPath('./x//y/', 'a.tgz'), 'x/y');
  const dir = tempDir('tarbad');
  const dest = path.join(dir, 'out');
  for (const [name, bad] of [['abs.tgz', '/tmp/wsol-evil.txt'], ['dots.tgz', 'ok/../../evil.txt']]) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, zlib.gzipSync(Buffer.concat([tarEntry('fine.txt', Buffer.from('x')), tarEntry(bad, Buffer.from('evil')), END])));
    await assert.rejects(extractTar(file, dest), /refusing/);
  }
  assert.ok(!fs.existsSync(path.join(dir, 'evil.txt')) && !fs.existsSync('/tmp/wsol-evil.txt'));

  const linkTar = path.join(dir, 'link.tar');
  fs.writeFileSync(linkTar, Buffer.concat([tarEntry('l', Buffer.alloc(0), '2', '/etc/passwd'), tarEntry('f.txt', Buffer.from('data')), END]));
  const warnings: string[] = [];
  const r = await extractTar(linkTar, dest, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual([r.files, r.skipped], [1, 1]);
  assert.match(warnings[0], /skipping "l" \(tar entry type "2"/);
  assert.ok(!fs.existsSync(path.join(dest, 'l')));

  const whole = zlib.gzipSync(Buffer.concat([tarEntry('big.bin', crypto.randomBytes(20000)), END]));
  const cut = path.join(dir, 'cut.tgz');
  fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(extractTar(cut, path.join(dir, 'cutout')), /cut\.tgz: corrupt or truncated archive/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'cutout')), [], 'no partial file left');
  const badSum = Buffer.concat([tarEntry('a', Buffer.from('1')), END]);
  badSum[0] = 'b'.charCodeAt(0);
  fs.writeFileSync(path.join(dir, 'sum.tar'), badSum);
  await assert.rejects(extractTar(path.join(dir, 'sum.tar'), dest), /sum\.tar: corrupt tar header at byte 0 \(checksum/);
});

test('downloadFile: md5 ok, redirect, already present, checksum mismatch removes the file, HTTP errors', async () => {
  const body = crypto.randomBytes(100_000);
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  const server = await startServer((req, res) => {
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/file' });
      res.end();
    } else if (req.url === '/file') serveBytes(body, res, req.headers.range);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  try {
    const dir = tempDir('dl');
    const progress: number[] = [];
    const r = await downloadFile({ url: `${server.url}/moved`, dest: path.join(dir, 'f.bin'), md5, onProgress: (d) => progress.push(d) });
    assert.deepEqual([r.bytes, r.md5, r.resumedFrom, r.alreadyPresent], [100_000, md5, 0, false]);
    assert.ok(fs.readFileSync(path.join(dir, 'f.bin')).equals(body));
    assert.equal(progress[progress.length - 1], 100_000);
    const again = await downloadFile({ url: `${server.url}/file`, dest: path.join(dir, 'f.bin'), md5 });
    assert.equal(again.alreadyPresent, true);
    const wrong = '0'.repeat(32);
    await assert.rejects(downloadFile({ url: `${server.url}/file`, dest: path.join(dir, 'g.bin'), md5: wrong }), new RegExp(`checksum mismatch for .*/file: md5 ${md5}, expected ${wrong}`));
    assert.ok(!fs.existsSync(path.join(dir, 'g.bin')) && !fs.existsSync(path.join(dir, 'g.bin.part')));
    await assert.rejects(downloadFile({ url: `${server.url}/file`, dest: path.join(dir, 'f.bin'), md5: wrong }), /f\.bin exists but does not match/);
    await assert.rejects(downloadFile({ url: `${server.url}/nothing`, dest: path.join(dir, 'h.bin') }), /nothing: HTTP 404/);
    // A part file already complete: the server answers 416 and the file is verified as is.
    fs.writeFileSync(path.join(dir, 'k.bin.part'), body);
    const done = await downloadFile({ url: `${server.url}/file`, dest: path.join(dir, 'k.bin'), md5 });
    assert.equal(done.md5, md5);
    assert.equal(server.requests[server.requests.length - 1].range, 'bytes=100000-');
  } finally {
    await server.close();
  }
});
