import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeNpy, encodeNpyFloat32 } from '../../src/localize/npy';

test('float32 .npy: the header numpy expects (64-byte aligned, C order) and a lossless round trip', () => {
  const data = Float32Array.from([0, 0.25, 1, 1 / 3, 0.1, 0.9]);
  const bytes = encodeNpyFloat32(data, [2, 3]);
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes[8] | (bytes[9] << 8);
  assert.equal((10 + headerLength) % 64, 0);
  const header = Buffer.from(bytes.subarray(10, 10 + headerLength)).toString('latin1');
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
  assert.equal(bytes.length, 10 + headerLength + 4 * 6);
  const back = decodeNpy(bytes, 'x.npy');
  assert.deepEqual(back.shape, [2, 3]);
  assert.equal(back.dtype, 'float32');
  assert.deepEqual(Array.from(back.values), Array.from(data));
  assert.match(Buffer.from(encodeNpyFloat32(new Float32Array(2), [2]).subarray(10, 80)).toString('latin1'), /'shape': \(2,\)/);
});

test('.npy errors name the file: magic, truncation, dtype, shape/data mismatch', () => {
  const good = encodeNpyFloat32(Float32Array.from([1, 2]), [1, 2]);
  assert.throws(() => decodeNpy(Uint8Array.from([1, 2, 3]), 'a/b.npy'), /^Error: a\/b\.npy: not a readable \.npy file \(no \\x93NUMPY magic/);
  assert.throws(() => decodeNpy(good.subarray(0, good.length - 1), 'c.npy'), /c\.npy: 7 bytes of data, shape \(1, 2\) of float32 needs 8 \(truncated file\?\)/);
  const i8 = Buffer.from(good);
  i8.write("'<i8'", Buffer.from(good).indexOf("'<f4'"), 'latin1');
  assert.throws(() => decodeNpy(i8, 'd.npy'), /d\.npy: dtype '<i8' is not supported/);
  assert.throws(() => encodeNpyFloat32(new Float32Array(3), [2, 2]), /shape \(2, 2\) holds 4 values, data has 3/);
});
