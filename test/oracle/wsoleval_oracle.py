#!/usr/bin/env python3
"""Independent oracle for the project's WSOL metrics (run by test/oracle/wsoleval-oracle.test.ts).

Written for this project from a reading of clovaai/wsolevaluation (evaluation.py, inference.py),
on Debian's python3-opencv and python3-numpy only. It shares no code with the TypeScript
evaluators: it reads the maps (.npy), boxes and masks the test wrote and recomputes
  - MaxBoxAcc   (largest contour by cv2.contourArea, IoU 0.5),
  - MaxBoxAccV2 (every contour of cv2.findContours(RETR_TREE), mean over IoU 0.3/0.5/0.7),
  - PxAP        (pixel precision-recall over the threshold bins),
with GT boxes rescaled by truncation (int(x * new / old)) and masks by cv2.INTER_NEAREST.

Usage:
  wsoleval_oracle.py metrics MANIFEST.json OUT.json
  wsoleval_oracle.py contours IMAGES.npy OUT.json      (uint8 stack N x H x W of 0/1)
  wsoleval_oracle.py write-npy OUT_DIR                 (arrays of several dtypes for the loader)

MANIFEST: {"step": 0.01, "ious": [0.3, 0.5, 0.7],
           "samples": [{"map": "a.npy", "width": W, "height": H,     # original image size
                        "boxes": [[x0, y0, x1, y1], ...],            # original image pixels
                        "mask": "a-mask.npy" or null}]}              # uint8 H x W, 1 = object
The map's own shape is the evaluation size.
"""
import json
import os
import sys

import cv2
import numpy as np

CONTOURS = 1 if cv2.__version__.split('.')[0] == '3' else 0


def boxes_of_map(score, thresholds, all_contours):
    """Per threshold: the candidate boxes (x0, y0, x1, y1) from the thresholded map."""
    h, w = score.shape
    levels = (score * 255).astype(np.uint8)
    top = np.max(levels)
    out = []
    for t in thresholds:
        _, binary = cv2.threshold(levels, int(t * top), 255, cv2.THRESH_BINARY)
        contours = cv2.findContours(binary, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[CONTOURS]
        if len(contours) == 0:
            out.append([(0, 0, 0, 0)])
            continue
        if not all_contours:
            contours = [max(contours, key=cv2.contourArea)]
        found = []
        for c in contours:
            x, y, bw, bh = cv2.boundingRect(c)
            found.append((x, y, min(x + bw, w - 1), min(y + bh, h - 1)))
        out.append(found)
    return out


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0]) + 1
    ih = min(a[3], b[3]) - max(a[1], b[1]) + 1
    inter = max(iw, 0) * max(ih, 0)
    union = (a[2] - a[0] + 1) * (a[3] - a[1] + 1) + (b[2] - b[0] + 1) * (b[3] - b[1] + 1) - inter
    return inter / union if union > 0 else 0.0


def truncated_box(box, old_w, old_h, new_w, new_h):
    x0, y0, x1, y1 = (float(v) for v in box)
    return (int(x0 * new_w / old_w), int(y0 * new_h / old_h), int(x1 * new_w / old_w), int(y1 * new_h / old_h))


def metrics(manifest_path, out_path):
    root = os.path.dirname(os.path.abspath(manifest_path))
    with open(manifest_path) as f:
        manifest = json.load(f)
    thresholds = list(np.arange(0, 1, manifest['step']))
    ious = manifest['ious']
    n = len(thresholds)
    correct_largest = np.zeros(n)
    correct_any = {d: np.zeros(n) for d in ious}
    # PxAP bins: [t0, t1), ..., [t_last, 1), [1, 2), [2, 3].
    edges = np.append(np.array(thresholds), [1.0, 2.0, 3.0])
    fg_hist = np.zeros(len(edges) - 1)
    bg_hist = np.zeros(len(edges) - 1)
    masked = 0
    per_image = []
    for s in manifest['samples']:
        score = np.load(os.path.join(root, s['map'])).astype(np.float64)
        h, w = score.shape
        gt = [truncated_box(b, s['width'], s['height'], w, h) for b in s['boxes']]
        best_of = lambda boxes: max(iou(b, g) for b in boxes for g in gt)
        largest = [best_of(b) for b in boxes_of_map(score, thresholds, False)]
        anyone = [best_of(b) for b in boxes_of_map(score, thresholds, True)]
        for i in range(n):
            if largest[i] >= 0.5:
                correct_largest[i] += 1
            for d in ious:
                if anyone[i] >= d:
                    correct_any[d][i] += 1
        per_image.append({'largest': largest, 'any': anyone})
        if s.get('mask'):
            raw = np.load(os.path.join(root, s['mask'])).astype(np.float32)
            mask = cv2.resize(raw, (w, h), interpolation=cv2.INTER_NEAREST) > 0.5
            fg_hist += np.histogram(score[mask], bins=edges)[0]
            bg_hist += np.histogram(score[~mask], bins=edges)[0]
            masked += 1
    count = len(manifest['samples'])
    result = {
        'count': count,
        'maxBoxAcc': float(np.max(correct_largest) * 100.0 / count),
        'maxBoxAccV2PerIou': [float(np.max(correct_any[d]) * 100.0 / count) for d in ious],
        'curveLargest': (correct_largest * 100.0 / count).tolist(),
        'curvesAny': [(correct_any[d] * 100.0 / count).tolist() for d in ious],
        'perImage': per_image,
        'pxap': None,
    }
    result['maxBoxAccV2'] = float(np.mean(result['maxBoxAccV2PerIou']))
    if masked > 0:
        tp = np.cumsum(fg_hist[::-1])
        fp = np.cumsum(bg_hist[::-1])
        recall = tp / fg_hist.sum()
        predicted = tp + fp
        with np.errstate(invalid='ignore', divide='ignore'):
            precision = tp / predicted
        keep = predicted[1:] != 0
        result['pxap'] = float((precision[1:] * np.diff(recall))[keep].sum() * 100.0)
    with open(out_path, 'w') as f:
        json.dump(result, f)


def contours(images_path, out_path):
    images = np.load(images_path)
    result = []
    for img in images:
        found, hierarchy = cv2.findContours(img.astype(np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[-2:]
        listed = []
        for i, c in enumerate(found):
            x, y, bw, bh = cv2.boundingRect(c)
            parent = int(hierarchy[0][i][3])
            depth, p = 0, parent
            while p >= 0:
                depth, p = depth + 1, int(hierarchy[0][p][3])
            listed.append({'rect': [x, y, bw, bh], 'area': float(cv2.contourArea(c)), 'parent': parent, 'hole': depth % 2 == 1})
        result.append(listed)
    with open(out_path, 'w') as f:
        json.dump(result, f)


def write_npy(out_dir):
    """Arrays numpy writes in different layouts, for the TypeScript .npy reader."""
    os.makedirs(os.path.join(out_dir, 'sub', 'dir'), exist_ok=True)
    a = (np.arange(12, dtype=np.float64).reshape(3, 4) / 11.0)
    np.save(os.path.join(out_dir, 'f64.npy'), a)
    np.save(os.path.join(out_dir, 'f32.npy'), a.astype(np.float32))
    np.save(os.path.join(out_dir, 'f32-big-endian.npy'), a.astype('>f4'))
    np.save(os.path.join(out_dir, 'f64-fortran.npy'), np.asfortranarray(a))
    np.save(os.path.join(out_dir, 'sub', 'dir', 'x.jpg.npy'), a.astype(np.float32))
    np.save(os.path.join(out_dir, 'u8.npy'), (a * 255).astype(np.uint8))
    np.save(os.path.join(out_dir, 'three-d.npy'), np.zeros((2, 3, 4), dtype=np.float32))


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'metrics' and len(sys.argv) == 4:
        metrics(sys.argv[2], sys.argv[3])
    elif mode == 'contours' and len(sys.argv) == 4:
        contours(sys.argv[2], sys.argv[3])
    elif mode == 'write-npy' and len(sys.argv) == 3:
        write_npy(sys.argv[2])
    else:
        sys.exit(__doc__)
