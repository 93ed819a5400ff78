"""QR codes for posters and leaflets: SVG and PNG pointing at {public_base_url}/q/{id}."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

# M recovers from about 15% damage: posters get scuffed, folded and stuck behind glass.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


def target_url(public_base_url: str, questionnaire: str) -> str:
    return f"{public_base_url.rstrip('/')}/q/{questionnaire}"


def short_link(public_base_url: str, questionnaire: str) -> str:
    """The link as a person would type it: no scheme."""
    url = target_url(public_base_url, questionnaire)
    return url.split("://", 1)[-1]


def _code(url: str, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


def svg(url: str) -> bytes:
    image = _code(url, 10).make_image(image_factory=SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def png(url: str, box_size: int = 12) -> bytes:
    image = _code(url, box_size).make_image(image_factory=PyPNGImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
