"""The PIL side of image-folder.ts: decode and resize every image of a Keras-layout folder
(DIR/<class>/*.png) into one uint8 numpy array, as tsnas's folder loader does.
Usage: /usr/bin/python3 bench/perf/pil_folder.py DIR SIZE  -> one JSON line {n, seconds, per_s}."""
import json
import os
import sys
import time

import numpy as np
from PIL import Image


def main() -> None:
    root, size = sys.argv[1], int(sys.argv[2])
    t0 = time.perf_counter()
    classes = sorted(d for d in os.listdir(root) if not d.startswith('.') and os.path.isdir(os.path.join(root, d)))
    files = []
    for label, c in enumerate(classes):
        for name in sorted(os.listdir(os.path.join(root, c))):
            if not name.startswith('.'):
                files.append((os.path.join(root, c, name), label))
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    labels = np.empty(len(files), dtype=np.int32)
    for i, (path, label) in enumerate(files):
        with Image.open(path) as im:
            im = im.convert('RGB')
            if im.size != (size, size):
                im = im.resize((size, size), Image.BILINEAR, reducing_gap=None)
            out[i] = np.asarray(im)
        labels[i] = label
    dt = time.perf_counter() - t0
    print(json.dumps({'n': len(files), 'seconds': dt, 'per_s': len(files) / dt, 'pil': Image.__version__ if hasattr(Image, '__version__') else None}))


if __name__ == '__main__':
    main()
