"""QR codes for posters and leaflets: SVG and PNG pointing at {public_base_url}/q/{id}, and
the refusal to make them for an address that phones elsewhere cannot open."""

from __future__ import annotations

import io
import ipaddress
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.constants
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage

from survey_service.settings import env_name

# M recovers from about 15% damage: posters get scuffed, folded and stuck behind glass.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


# Names that only resolve on a local network (RFC 6762 .local, RFC 8375 home.arpa, ICANN's
# .internal) or by convention (.lan, .localdomain).
_LOCAL_SUFFIXES = (".local", ".lan", ".internal", ".home.arpa", ".localdomain")


def private_reason(public_base_url: str) -> str | None:
    """Why phones elsewhere could not open this address, or None when it looks public. Names
    are judged as written, never looked up: the answer must not depend on this machine's DNS."""
    host = (urlsplit(public_base_url).hostname or "").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            return "a loopback address (this computer only)"
        if "." not in host or host.endswith(_LOCAL_SUFFIXES):
            return "a local network name"
        return None
    if address.is_loopback:
        return "a loopback address (this computer only)"
    if not address.is_global:
        return "a private network address"
    return None


def refusal(public_base_url: str, allowed: bool) -> str | None:
    """The message that replaces a QR code pointing where phones cannot follow, unless the
    operator has said it is meant (a trial on one network)."""
    reason = private_reason(public_base_url)
    if reason is None or allowed:
        return None
    url_setting, allow_setting = env_name("public_base_url"), env_name("posters_allow_private_url")
    return (
        f"QR codes and posters are off: {url_setting} is {public_base_url}, {reason}, which"
        " a young person's phone elsewhere cannot open. Set it to the address people will"
        f" open (https://…), or, for a trial on this network only, set {allow_setting}=true."
    )


def target_url(public_base_url: str, questionnaire: str) -> str:
    return f"{public_base_url.rstrip('/')}/q/{questionnaire}"


def short_link(public_base_url: str, questionnaire: str) -> str:
    """The link as a person would type it: no scheme."""
    url = target_url(public_base_url, questionnaire)
    return url.split("://", 1)[-1]


def _code(url: str, box_size: int) -> qrcode.QRCode[Any]:
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
