"""Pictures stage: the pictures under `content/`, checked and made ready to publish.

Input: each picture file's bytes (`PictureFile`, from the load stage). Output: a
`Picture` per file: its size, and the files to publish under `images/`, named by a
digest of their content so a browser may keep them for ever. A picture that cannot be
published carries the reason instead; the Markdown stage reports it at every line that
shows the picture, where the editor will look.

- PNG, JPEG and WebP go through Pillow: turned upright (the camera's orientation tag),
  made in a few widths (never enlarged), each as WebP and in the original format, and
  saved from their pixels alone, so no metadata is published (a patient's photo must
  never say where or when it was taken). Colour profiles are dropped with the rest:
  pictures should be exported as sRGB.
- SVG is parsed with defusedxml (no entity tricks) and refused if it could run code or
  load anything: a script, an event handler, a `foreignObject`, a reference to another
  file or address. Its size is its `viewBox`.

Processing is reused across builds by the digest of the file's bytes (`known`).
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import re
import warnings
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import did_you_mean
from .names import CONTENT_DIR

PICTURE_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp",
                    ".svg": "svg"}
# A phone photo is 2 to 5 MB; a diagram a few KB. Above this, the file is a mistake (an
# uncompressed export, a video frame) and would be slow for readers even once resized.
MAX_PICTURE_BYTES = 10_000_000
# 50 megapixels: above a 48-megapixel phone camera's photos, below Pillow's own
# "decompression bomb" limit (89 million), so a small file claiming a huge size is
# refused before its pixels are unpacked.
MAX_PIXELS = 50_000_000
# Widths made of each photo, in CSS pixels times 1 and 2: the text column is about 660 px
# wide, a phone 360 to 430.
WIDTHS = (360, 720, 1080, 1440)
OUTPUT_FOLDER = "images"
_QUALITY = {"webp": 80, "jpeg": 82}
_SVG = "{http://www.w3.org/2000/svg}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_URL = re.compile(r"url\(\s*['\"]?\s*([^)'\"\s]*)", re.IGNORECASE)


@dataclass(frozen=True)
class PictureFile:
    """One picture file as read from `content/`."""

    rel: str  # path relative to the site folder, with '/' separators
    data: bytes

    @functools.cached_property
    def digest(self) -> str:
        """Of the bytes: what reuse and the up-to-date check both key on (taken once)."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Variant:
    """One published file of a picture."""

    path: str  # output path, e.g. 'images/rolling.1a2b3c4d5e.svg'
    width: int
    format: str  # 'svg', 'webp', 'png' or 'jpeg'


@dataclass(frozen=True)
class Picture:
    """A picture ready to publish, or the reason it cannot be (`error`)."""

    rel: str
    digest: str  # of the file's bytes
    width: int = 0  # in CSS pixels: the largest variant's, or the SVG's viewBox
    height: int = 0
    variants: tuple[Variant, ...] = ()
    error: str = ""  # what is wrong, to follow the picture's name in a message
    files: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_svg(self) -> bool:
        return self.rel.lower().endswith(".svg")

    def sources(self, format: str) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.format == format)

    @property
    def fallback(self) -> Variant:
        """The variant for `src`: in the original format, the one nearest the text width."""
        own = [v for v in self.variants if v.format != "webp"] or list(self.variants)
        return min(own, key=lambda v: abs(v.width - WIDTHS[1]))

    @property
    def largest(self) -> Variant:
        own = [v for v in self.variants if v.format != "webp"] or list(self.variants)
        return max(own, key=lambda v: v.width)


def prepare_pictures(files: list[PictureFile], known: dict[str, Picture] | None = None
                     ) -> dict[str, Picture]:
    """Every picture by content path. `known` holds pictures prepared by earlier builds, by
    the digest of their bytes; on return it holds this build's."""
    known = {} if known is None else known
    pictures = {}
    for file in files:
        digest = file.digest
        key = f"{digest}\0{posixpath.basename(file.rel)}"
        picture = known.get(key)
        if picture is None or picture.rel != file.rel:
            picture = _prepare(file, digest)
        pictures[file.rel] = known[key] = picture
    for key in known.keys() - {f"{p.digest}\0{posixpath.basename(p.rel)}"
                               for p in pictures.values()}:
        del known[key]
    return pictures


def find_picture(article: str, src: str, pictures: dict[str, Picture]
                 ) -> tuple[Picture | None, str]:
    """The picture a path written in the article at content path `article` names, or the
    reason it cannot be shown (to follow the field name in a message)."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(article),
                                               unquote(urlsplit(src).path)))
    if not target.startswith(f"{CONTENT_DIR}/"):
        return None, f"'{src}' points outside the content folder"
    if posixpath.splitext(target)[1].lower() not in PICTURE_SUFFIXES:
        return None, (f"'{src}' is not a kind of picture the site can show; use PNG, JPEG, "
                      "WebP or SVG")
    picture = pictures.get(target)
    if picture is None:
        here = posixpath.dirname(article)
        return None, (f"'{src}' does not exist"
                      f"{did_you_mean(src, [posixpath.relpath(p, here) for p in pictures])}")
    if picture.error:
        return None, f"'{src}' {picture.error}"
    return picture, ""


def _prepare(file: PictureFile, digest: str) -> Picture:
    if len(file.data) > MAX_PICTURE_BYTES:
        return Picture(file.rel, digest, error=f"is {len(file.data) / 1e6:.1f} MB, more than "
                       f"the {MAX_PICTURE_BYTES / 1e6:.0f} MB a picture may be; export it "
                       "smaller")
    stem = posixpath.splitext(posixpath.basename(file.rel))[0]
    name = f"{OUTPUT_FOLDER}/{_safe_name(stem)}.{digest[:10]}"
    if PICTURE_SUFFIXES[posixpath.splitext(file.rel)[1].lower()] == "svg":
        return _prepare_svg(file, digest, name)
    return _prepare_raster(file, digest, name)


def _safe_name(stem: str) -> str:
    """A file name that needs no escaping in a URL."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower() or "picture"


def _prepare_svg(file: PictureFile, digest: str, name: str) -> Picture:
    try:
        root = defusedxml.ElementTree.fromstring(file.data)
    except DefusedXmlException:
        return Picture(file.rel, digest, error="declares entities or a DTD, which a picture "
                       "may not; save it again as plain SVG")
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 0
        return Picture(file.rel, digest, error=f"is not well-formed SVG (line {line} of the "
                       "picture); save it again from a drawing program")
    if root.tag != f"{_SVG}svg":
        return Picture(file.rel, digest, error=f"is not an SVG picture (its outer element "
                       f"is <{_local(root.tag)}>)")
    unsafe = _unsafe_svg(root)
    if unsafe:
        return Picture(file.rel, digest, error=unsafe)
    size = _view_box(root.get("viewBox", ""))
    if size is None:
        return Picture(file.rel, digest, error="has no viewBox giving its width and height; "
                       "add one, e.g. viewBox=\"0 0 800 400\", so the page can keep room "
                       "for it")
    path = f"{name}.svg"
    return Picture(file.rel, digest, size[0], size[1], (Variant(path, size[0], "svg"),),
                   files={path: file.data})


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _unsafe_svg(root: Element) -> str:
    """Why an SVG could run code or load something, or ''."""
    for element in root.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag.lower() == "script":
            return "contains a <script>; pictures may not run code"
        if tag.lower() == "foreignobject":
            return "contains a <foreignObject>, which can hold a web page; draw it in SVG"
        for attribute, value in element.attrib.items():
            local = _local(attribute).lower()
            if local.startswith("on"):
                return (f"has an event handler ({_local(attribute)} on <{tag}>); pictures "
                        "may not run code")
            if (local == "href" or attribute == _XLINK_HREF) and not value.strip().startswith("#"):
                return (f"refers to another file or address ('{value.strip()}' on <{tag}>); "
                        "a picture must be self-contained")
        styles = [element.get("style", "")] + ([element.text or ""] if tag == "style" else [])
        for style in styles:
            if "@import" in style.lower():
                return "imports a stylesheet; a picture must be self-contained"
            for url in _URL.findall(style):
                if not url.startswith("#"):
                    return (f"refers to another file or address ('{url}' in a style); a "
                            "picture must be self-contained")
    return ""


def _view_box(value: str) -> tuple[int, int] | None:
    parts = value.replace(",", " ").split()
    try:
        width, height = float(parts[2]), float(parts[3])
    except (IndexError, ValueError):
        return None
    if len(parts) != 4 or not (0 < width < 1e6 and 0 < height < 1e6):
        return None
    return max(1, round(width)), max(1, round(height))


def _prepare_raster(file: PictureFile, digest: str, name: str) -> Picture:
    expected = PICTURE_SUFFIXES[posixpath.splitext(file.rel)[1].lower()]
    not_readable = (f"is not a picture that can be read as {expected.upper()}; export it "
                    "again as PNG, JPEG or WebP")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(file.data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                return Picture(file.rel, digest, error=_too_many_pixels(width, height))
            if image.format is None or image.format.lower() not in ("png", "jpeg", "webp"):
                return Picture(file.rel, digest, error=not_readable)
            if getattr(image, "n_frames", 1) > 1:
                return Picture(file.rel, digest, error="is animated; use a still picture")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Picture(file.rel, digest, error=_too_many_pixels())
    except UnidentifiedImageError:
        return Picture(file.rel, digest, error=not_readable)
    except (OSError, SyntaxError, ValueError):
        return Picture(file.rel, digest, error="is damaged or cut short; export it again")
    format = image.format.lower()
    upright = ImageOps.exif_transpose(image)
    if format == "jpeg" or upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA" if "A" in upright.getbands() and format != "jpeg"
                                  else "RGB")
    variants, files = [], {}
    for width in _widths(upright.width):
        resized = (upright if width == upright.width else
                   upright.resize((width, round(upright.height * width / upright.width)),
                                  Image.Resampling.LANCZOS))
        for out in dict.fromkeys(("webp", format)):
            path = f"{name}-{width}.{'jpg' if out == 'jpeg' else out}"
            files[path] = _encode(resized, out)
            variants.append(Variant(path, width, out))
    largest = variants[-1].width
    return Picture(file.rel, digest, largest, round(upright.height * largest / upright.width),
                   tuple(variants), files=files)


def _too_many_pixels(width: int = 0, height: int = 0) -> str:
    size = f"is {width} x {height} pixels, " if width else "has "
    return (f"{size}more than the {MAX_PIXELS // 1_000_000} million pixels a picture may "
            "have; make it smaller")


def _widths(original: int) -> list[int]:
    """The widths to make: each standard width below the original, and the original up to
    the largest standard width (never enlarged)."""
    largest = min(original, WIDTHS[-1])
    return [w for w in WIDTHS if w < largest] + [largest]


def _encode(image: Image.Image, format: str) -> bytes:
    """The picture's pixels in `format`, with no metadata: a fresh image is given only the
    pixels, so no EXIF, GPS, XMP, comment or colour profile of the original can follow."""
    pixels = Image.new(image.mode, image.size)
    pixels.paste(image)
    out = io.BytesIO()
    if format == "png":
        pixels.save(out, "PNG", optimize=True)
    elif format == "jpeg":
        pixels.save(out, "JPEG", quality=_QUALITY["jpeg"], optimize=True, progressive=True)
    else:
        pixels.save(out, "WEBP", quality=_QUALITY["webp"], method=4)
    return out.getvalue()
