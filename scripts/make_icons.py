"""Draws the app icons (static/icon-192.png, static/icon-512.png): a neutral speech bubble.

Run `.venv/bin/python scripts/make_icons.py` after changing the design; the PNGs are checked in.
"""

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "static"
NAVY = (29, 63, 110, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int) -> Image.Image:
    # Drawn large then scaled down, for smooth edges.
    big = size * 4
    image = Image.new("RGBA", (big, big), NAVY)
    pen = ImageDraw.Draw(image)
    u = big / 16  # grid unit; the bubble keeps inside the maskable safe zone (centre 80 %)
    pen.rounded_rectangle((3.5 * u, 4 * u, 12.5 * u, 10.5 * u), radius=2 * u, fill=WHITE)
    pen.polygon([(5.5 * u, 10 * u), (5.5 * u, 12.5 * u), (8.5 * u, 10 * u)], fill=WHITE)
    for x in (5.9, 8.0, 10.1):
        pen.ellipse(((x - 0.6) * u, 6.65 * u, (x + 0.6) * u, 7.85 * u), fill=NAVY)
    return image.resize((size, size), Image.Resampling.LANCZOS).convert("RGB")


def main() -> None:
    for size in (192, 512):
        draw(size).save(STATIC / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
