"""Writes the fixtures of the preprocess tests with Pillow (the reference
implementation of torchvision's image pipeline).

    pip install --target /tmp/pillow-py pillow==11.0.0
    PYTHONPATH=/tmp/pillow-py python3 preprocess/testdata/make_fixtures.py

Every file is small and deterministic (no randomness without a seed). The
script checks its own output where Pillow can (EXIF orientation) and fails
loudly otherwise. tiff_offset_bomb.tiff is not written here: it is an input
found by the Go fuzzer (FuzzDecode), kept verbatim as a regression test.
"""

import os
import random

from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(HERE, name)


def base_rgb():
    """A smooth 23x17 RGB image: lossy codecs keep it close."""
    im = Image.new("RGB", (23, 17))
    for y in range(17):
        for x in range(23):
            im.putpixel((x, y), (x * 11, y * 15, (x * 5 + y * 7) % 256))
    return im


def noise(mode, size, seed):
    rng = random.Random(seed)
    im = Image.new(mode, size)
    bands = len(mode)
    for y in range(size[1]):
        for x in range(size[0]):
            v = tuple(rng.randrange(256) for _ in range(bands))
            im.putpixel((x, y), v if bands > 1 else v[0])
    return im


def torchvision_resize_crop(im, size):
    """torchvision Resize(size) + CenterCrop(size) on a PIL image."""
    w, h = im.size
    if w <= h:
        ow, oh = size, int(size * h / w)
    else:
        ow, oh = int(size * w / h), size
    im = im.resize((ow, oh), Image.BILINEAR)
    left = int(round((ow - size) / 2.0))
    top = int(round((oh - size) / 2.0))
    return im.crop((left, top, left + size, top + size))


def quadrants():
    """48x32, four flat quadrants: red, green / blue, white."""
    im = Image.new("RGB", (48, 32))
    for y in range(32):
        for x in range(48):
            if y < 16:
                c = (255, 0, 0) if x < 24 else (0, 255, 0)
            else:
                c = (0, 0, 255) if x < 24 else (255, 255, 255)
            im.putpixel((x, y), c)
    return im


# exif_transpose applies these to display an image; storing the inverse
# makes every orientation display as the same picture.
INVERSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # displayed with ROTATE_270
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,  # displayed with ROTATE_90
}


def main():
    base = base_rgb()
    base.save(path("base.png"))
    base.save(path("base.bmp"))
    base.save(path("base.tiff"))  # uncompressed RGB
    base.save(path("base_lzw.tiff"), compression="tiff_lzw")
    base.save(path("base.webp"), lossless=True)
    base.save(path("base_lossy.webp"), quality=95)
    base.convert("CMYK").save(path("cmyk.jpg"), quality=95)

    rgba = base.convert("RGBA")
    for y in range(17):
        for x in range(23):
            r, g, b, _ = rgba.getpixel((x, y))
            rgba.putpixel((x, y), (r, g, b, (x * 12) % 256))
    rgba.save(path("alpha.png"))
    rgba.save(path("alpha.webp"), lossless=True)

    g16 = Image.new("I;16", (5, 3))
    for i, v in enumerate([0, 1, 255, 256, 257, 4660, 32768, 40000, 65534, 65535, 300, 1000, 12345, 54321, 77]):
        g16.putpixel((i % 5, i // 5), v)
    g16.save(path("gray16.tiff"))

    quad = quadrants()
    for o, op in INVERSE.items():
        stored = quad if op is None else quad.transpose(op)
        exif = Image.Exif()
        exif[0x0112] = o
        name = path(f"orient_{o}.jpg")
        stored.save(name, quality=95, exif=exif.tobytes())
        shown = ImageOps.exif_transpose(Image.open(name)).convert("RGB")
        assert shown.size == quad.size, (o, shown.size)
        for x, y in [(10, 8), (36, 8), (10, 24), (36, 24)]:
            want, got = quad.getpixel((x, y)), shown.getpixel((x, y))
            assert all(abs(a - b) < 16 for a, b in zip(want, got)), (o, x, y, want, got)

    # Pillow's resize for the bilinear comparison: shrink (antialiased),
    # enlarge (MNIST 28 -> 32) and a non-square crop.
    src = noise("RGB", (23, 17), 1)
    src.save(path("resize_src_rgb.png"))
    torchvision_resize_crop(src, 8).save(path("resize_ref_rgb_8.png"))
    grey = noise("L", (28, 28), 2)
    grey.save(path("resize_src_grey.png"))
    torchvision_resize_crop(grey, 32).save(path("resize_ref_grey_32.png"))
    tall = noise("L", (19, 41), 3)
    tall.save(path("resize_src_tall.png"))
    torchvision_resize_crop(tall, 16).save(path("resize_ref_tall_16.png"))
    torchvision_resize_crop(tall, 7).save(path("resize_ref_tall_7.png"))


if __name__ == "__main__":
    main()
