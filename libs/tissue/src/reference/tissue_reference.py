"""Independent reference for the tissue detectors, used by fixture.test.ts.

Reads a slide thumbnail with OpenSlide and applies the same rules as rgb-distance (square
element) and otsu-saturation with plain Python and PIL: PIL's own median, max and min filters
(edges replicated), Otsu and connected components written out here. No numpy (not installed).

usage: tissue_reference.py SLIDE OUT_DIR MAX_THUMB_PX
writes OUT_DIR/thumb.png, rgb-distance.png, otsu-saturation.png (0/255) and info.json
"""
import json
import os
import sys
from collections import deque

import openslide
from PIL import Image, ImageFilter

RGB_THRESHOLD = 85
BLACK_MAX = 30
RGB_CLOSING_PX = 9
MEDIAN_PX = 7
MIN_THRESHOLD = 15
OTSU_CLOSING_PX = 5
MIN_AREA_PX = 64


def to_image(bits, size):
    im = Image.new("L", size)
    im.putdata([255 if b else 0 for b in bits])
    return im


def close_square(bits, size, element_px):
    im = to_image(bits, size)
    im = im.filter(ImageFilter.MaxFilter(element_px)).filter(ImageFilter.MinFilter(element_px))
    return [1 if v else 0 for v in im.getdata()]


def otsu(hist):
    """Threshold t maximising w0 * w1 * (m0 - m1)^2 for classes <= t and > t; first maximum."""
    n = sum(hist)
    best_t, best = 0, 0.0
    for t in range(255):
        n0 = sum(hist[: t + 1])
        n1 = n - n0
        if n0 == 0 or n1 == 0:
            continue
        m0 = sum(v * hist[v] for v in range(t + 1)) / n0
        m1 = sum(v * hist[v] for v in range(t + 1, 256)) / n1
        sigma = (n0 / n) * (n1 / n) * (m0 - m1) ** 2
        if sigma > best:
            best, best_t = sigma, t
    return best_t


def drop_small(bits, w, h, min_area):
    seen = [False] * (w * h)
    out = [0] * (w * h)
    for start in range(w * h):
        if not bits[start] or seen[start]:
            continue
        comp = []
        queue = deque([start])
        seen[start] = True
        while queue:
            i = queue.popleft()
            comp.append(i)
            x, y = i % w, i // w
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    xx, yy = x + dx, y + dy
                    if 0 <= xx < w and 0 <= yy < h:
                        j = yy * w + xx
                        if bits[j] and not seen[j]:
                            seen[j] = True
                            queue.append(j)
        if len(comp) >= min_area:
            for i in comp:
                out[i] = 1
    return out


def main():
    slide_path, out_dir, max_px = sys.argv[1], sys.argv[2], int(sys.argv[3])
    slide = openslide.OpenSlide(slide_path)
    thumb = slide.get_thumbnail((max_px, max_px)).convert("RGB")
    thumb.save(os.path.join(out_dir, "thumb.png"))
    w, h = thumb.size
    pixels = list(thumb.getdata())

    raw = []
    for r, g, b in pixels:
        black = r <= BLACK_MAX and g <= BLACK_MAX and b <= BLACK_MAX
        far = (255 - r) ** 2 + (255 - g) ** 2 + (255 - b) ** 2 > RGB_THRESHOLD**2
        raw.append(1 if far and not black else 0)
    to_image(close_square(raw, (w, h), RGB_CLOSING_PX), (w, h)).save(os.path.join(out_dir, "rgb-distance.png"))

    sat = []
    for p in pixels:
        mx, mn = max(p), min(p)
        sat.append(0 if mx == 0 else int(255 * (mx - mn) / mx + 0.5))
    sat_im = Image.new("L", (w, h))
    sat_im.putdata(sat)
    blurred = list(sat_im.filter(ImageFilter.MedianFilter(MEDIAN_PX)).getdata())
    hist = [0] * 256
    for v in blurred:
        hist[v] += 1
    otsu_t = otsu(hist)
    t = max(otsu_t, MIN_THRESHOLD)
    bits = close_square([1 if v > t else 0 for v in blurred], (w, h), OTSU_CLOSING_PX)
    bits = drop_small(bits, w, h, MIN_AREA_PX)
    to_image(bits, (w, h)).save(os.path.join(out_dir, "otsu-saturation.png"))

    with open(os.path.join(out_dir, "info.json"), "w") as f:
        json.dump({"width": w, "height": h, "level0": list(slide.dimensions), "otsuThreshold": otsu_t}, f)


if __name__ == "__main__":
    main()
