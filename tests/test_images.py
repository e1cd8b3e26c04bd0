"""The pictures stage (images.py) and pictures in built pages: real files made with Pillow."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from scarsite.build import BuildOptions, build
from scarsite.cache import Known, MemoryCache
from scarsite.images import MAX_PICTURE_BYTES, WIDTHS, PictureFile, prepare_pictures

from .conftest import article

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200">{}</svg>'


def photo(width: int, height: int, format: str = "PNG", **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (190, 130, 110)).save(out, format, **save)
    return out.getvalue()


def gps_photo() -> bytes:
    """A JPEG as a phone saves it: where it was taken, and turned on its side."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show upright
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)})
    return photo(1600, 1000, "JPEG", exif=exif)


def prepare(rel: str, data: bytes):
    return prepare_pictures([PictureFile(rel, data)])[rel]


# --- SVG ------------------------------------------------------------------------------------

def test_an_svg_is_published_as_it_is_with_its_size_from_the_view_box() -> None:
    data = SVG.format('<rect width="400" height="200"/>').encode()
    picture = prepare("content/scar-types/images/Rolling Scar.svg", data)
    assert picture.error == ""
    assert (picture.width, picture.height) == (400, 200)
    [variant] = picture.variants
    assert variant.path.startswith("images/rolling-scar.") and variant.path.endswith(".svg")
    assert picture.files == {variant.path: data}


@pytest.mark.parametrize(("inside", "message"), [
    ("<script>alert(1)</script>", "contains a <script>; pictures may not run code"),
    ('<rect onclick="steal()" width="1" height="1"/>',
     "has an event handler (onclick on <rect>); pictures may not run code"),
    ("<foreignObject><p>hi</p></foreignObject>",
     "contains a <foreignObject>, which can hold a web page; draw it in SVG"),
    ('<image href="https://example.org/x.png"/>',
     "refers to another file or address ('https://example.org/x.png' on <image>); a picture "
     "must be self-contained"),
    ('<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="other.svg#a"/>',
     "refers to another file or address ('other.svg#a' on <use>); a picture must be "
     "self-contained"),
    ('<rect style="fill: url(http://example.org/p)" width="1" height="1"/>',
     "refers to another file or address ('http://example.org/p' in a style); a picture must "
     "be self-contained"),
    ("<style>@import 'x.css';</style>", "imports a stylesheet; a picture must be self-contained"),
])
def test_an_svg_that_could_run_code_or_load_anything_is_refused(inside: str, message: str) -> None:
    assert prepare("content/a/x.svg", SVG.format(inside).encode()).error == message


def test_an_svg_may_refer_to_its_own_parts_and_style_them() -> None:
    inside = ('<defs><linearGradient id="g"/><path id="p" d="M0 0h1"/></defs>'
              '<style>.a { fill: url(#g); }</style><use href="#p"/>'
              '<rect class="a" style="fill: url(#g)" width="1" height="1"/>')
    assert prepare("content/a/x.svg", SVG.format(inside).encode()).error == ""


@pytest.mark.parametrize(("data", "message"), [
    (b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>&b;</text></svg>',
     "declares entities or a DTD, which a picture may not; save it again as plain SVG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">\n<rect>\n</svg>',
     "is not well-formed SVG (line 3 of the picture); save it again from a drawing program"),
    (b'<html><body>not a picture</body></html>',
     "is not an SVG picture (its outer element is <html>)"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
     'has no viewBox giving its width and height; add one, e.g. viewBox="0 0 800 400", so the '
     "page can keep room for it"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 0 10"/>',
     'has no viewBox giving its width and height; add one, e.g. viewBox="0 0 800 400", so the '
     "page can keep room for it"),
])
def test_an_svg_that_is_not_a_plain_picture_is_refused(data: bytes, message: str) -> None:
    assert prepare("content/a/x.svg", data).error == message


# --- photos ---------------------------------------------------------------------------------

def test_a_photo_is_made_in_each_width_up_to_its_own_as_webp_and_its_own_format() -> None:
    picture = prepare("content/a/photo.png", photo(1000, 500))
    assert (picture.width, picture.height) == (1000, 500)
    assert sorted((v.width, v.format) for v in picture.variants) == [
        (360, "png"), (360, "webp"), (720, "png"), (720, "webp"), (1000, "png"),
        (1000, "webp")]
    for variant in picture.variants:
        made = Image.open(io.BytesIO(picture.files[variant.path]))
        assert made.format.lower() == variant.format
        assert made.size == (variant.width, variant.width // 2)
        assert variant.path.endswith(f"-{variant.width}.{variant.format}")


def test_a_photo_is_never_enlarged_nor_kept_larger_than_the_largest_width() -> None:
    small = prepare("content/a/small.jpg", photo(200, 100, "JPEG"))
    assert {(v.width, v.format) for v in small.variants} == {(200, "webp"), (200, "jpeg")}
    large = prepare("content/a/large.webp", photo(3000, 1000, "WEBP"))
    assert [v.width for v in large.variants] == list(WIDTHS)
    assert {v.format for v in large.variants} == {"webp"}
    assert (large.width, large.height) == (WIDTHS[-1], WIDTHS[-1] // 3)


def test_a_photo_is_turned_upright_and_published_with_no_metadata_at_all() -> None:
    original = gps_photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # it does say where
    picture = prepare("content/a/clinic.jpg", original)
    assert (picture.width, picture.height) == (1000, 1600)
    for path, data in picture.files.items():
        made = Image.open(io.BytesIO(data))
        assert made.width < made.height, path  # upright: the orientation was applied
        assert len(made.getexif()) == 0, path
        assert not {"exif", "xmp", "icc_profile", "comment"} & made.info.keys(), path
        assert b"PhoneMaker" not in data and b"Exif" not in data, path


@pytest.mark.parametrize(("rel", "data", "message"), [
    ("content/a/notes.png", b"my notes\n",
     "is not a picture that can be read as PNG; export it again as PNG, JPEG or WebP"),
    ("content/a/photo.jpg", photo(400, 300, "JPEG")[:700],
     "is damaged or cut short; export it again"),
    ("content/a/photo.jpg", photo(40, 30, "PNG"),  # a PNG named .jpg is fine: it is a photo
     ""),
    ("content/a/plan.png", photo(40, 30, "GIF"),
     "is not a picture that can be read as PNG; export it again as PNG, JPEG or WebP"),
])
def test_a_file_that_is_not_a_readable_photo_is_refused(rel: str, data: bytes,
                                                        message: str) -> None:
    assert prepare(rel, data).error == message


def test_a_photo_with_too_many_pixels_is_refused_before_its_pixels_are_unpacked() -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 million pixels in 8 KB
    assert prepare("content/a/big.png", out.getvalue()).error == (
        "is 8000 x 8000 pixels, more than the 50 million pixels a picture may have; make it "
        "smaller")
    out = io.BytesIO()
    Image.new("1", (10000, 10000)).save(out, "PNG")  # over Pillow's own limit too
    assert prepare("content/a/bomb.png", out.getvalue()).error == (
        "has more than the 50 million pixels a picture may have; make it smaller")


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = photo(10, 10) + b"\0" * MAX_PICTURE_BYTES
    assert prepare("content/a/x.png", data).error == (
        f"is {len(data) / 1e6:.1f} MB, more than the 10 MB a picture may be; export it smaller")


def test_pictures_are_reused_by_their_bytes_and_forgotten_when_gone() -> None:
    known: dict = {}
    files = [PictureFile("content/a/x.png", photo(50, 50)),
             PictureFile("content/a/d.svg", SVG.format("").encode())]
    first = prepare_pictures(files, known)
    again = prepare_pictures(files, known)
    assert all(again[rel] is first[rel] for rel in first)
    changed = prepare_pictures([PictureFile("content/a/x.png", photo(60, 50))], known)
    assert changed["content/a/x.png"] is not first["content/a/x.png"]
    assert list(known.values()) == [changed["content/a/x.png"]]


# --- in built pages -------------------------------------------------------------------------

def write_pictures(site: Path, pictures: dict[str, bytes]) -> None:
    for rel, data in pictures.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)


def build_it(site: Path, cache: MemoryCache | None = None, **options: object):
    return build(BuildOptions(source=site, output=site / "build", search=False, cache=False,
                              **options), cache)


def soup_of(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / "build" / page).read_text(encoding="utf-8"), "html.parser")


BODY = ("Intro.\n\n![Cross-section of a rolling scar](images/rolling.svg \"A rolling scar\")\n\n"
        "Text.\n\n![A cheek with shallow dents, lit from the side](images/cheek.jpg)\n\n"
        "![A second photo of the same cheek](images/cheek.jpg \"Later\")\n")


@pytest.fixture
def pictured_site(make_themed_site: Callable[..., Path]) -> Path:
    site = make_themed_site({
        "content/scar-types/rolling.md": article(
            "Rolling scars", "scar-type", BODY,
            image='{src: images/cheek.jpg, alt: "A cheek with rolling scars"}'),
        "content/scar-types/boxcar.md": article(
            "Boxcar scars", "scar-type", image='{src: images/rolling.svg, alt: "A diagram"}'),
        "content/guides/g.md": article("Guide", "guide",
                                       "![Dents](../scar-types/images/rolling.svg)\n")})
    write_pictures(site, {"content/scar-types/images/rolling.svg":
                          SVG.format('<rect width="400" height="200"/>').encode(),
                          "content/scar-types/images/cheek.jpg": gps_photo(),
                          "content/scar-types/images/unused.png": photo(20, 20)})
    return site


def test_pictures_beside_an_article_are_shown_as_figures_with_their_size(
        pictured_site: Path) -> None:
    report = build_it(pictured_site)
    assert report.ok, [str(p) for p in report.problems.items]
    page = soup_of(pictured_site, "scar-types/rolling/index.html")
    first, second, third = page.select(".body img")
    figure = first.find_parent("figure")
    assert figure.figcaption.get_text() == "A rolling scar"
    assert first.attrs == {"alt": "Cross-section of a rolling scar", "height": "200",
                           "src": first["src"], "width": "400"}  # eager: the first picture
    assert first["src"].startswith("/images/rolling.") and first["src"].endswith(".svg")
    assert (pictured_site / "build" / first["src"][1:]).read_bytes().startswith(b"<svg")
    # A photo: WebP and JPEG in every width, its size, lazy as it is not the first.
    assert second.find_parent("figure") is None  # no title, no caption
    source = second.find_parent("picture").source
    assert source["type"] == "image/webp" and source["sizes"] == second["sizes"]
    assert [c.split()[1] for c in source["srcset"].split(", ")] == [
        "360w", "720w", "1000w"]
    assert second["src"].endswith("-720.jpg") and (second["width"], second["height"]) == (
        "1000", "1600")
    assert (second["loading"], second["decoding"]) == ("lazy", "async")
    assert third.find_parent("figure").figcaption.get_text() == "Later"
    for url in [second["src"], *(c.split()[0] for c in second["srcset"].split(", ")),
                *(c.split()[0] for c in source["srcset"].split(", "))]:
        assert (pictured_site / "build" / url[1:]).is_file(), url
    # Another section's article shows the same file.
    guide = soup_of(pictured_site, "guides/g/index.html").select_one(".body img")
    assert guide["src"] == first["src"]


def test_only_pictures_that_are_shown_are_published_and_none_says_where_it_was_taken(
        pictured_site: Path) -> None:
    assert build_it(pictured_site).ok
    published = sorted((pictured_site / "build" / "images").iterdir())
    assert [p.name for p in published if p.name.startswith("unused")] == []
    assert len(published) == 1 + 3 * 2  # the SVG, and the photo in 3 widths and 2 formats
    for path in published:
        data = path.read_bytes()
        if path.suffix != ".svg":
            assert len(Image.open(path).getexif()) == 0, path
            assert b"Exif" not in data and b"PhoneMaker" not in data, path


def test_the_image_field_gives_the_social_card_and_the_listing_thumbnail(
        pictured_site: Path) -> None:
    assert build_it(pictured_site).ok
    head = soup_of(pictured_site, "scar-types/rolling/index.html")
    card = head.find("meta", property="og:image")["content"]
    assert card.startswith("https://") and card.endswith("-1000.jpg")
    assert head.find("meta", property="og:image:alt")["content"] == "A cheek with rolling scars"
    assert head.find("meta", property="og:image:height")["content"] == "1600"
    # An SVG is no social card (social sites do not show SVG), but is a thumbnail.
    assert soup_of(pictured_site, "scar-types/boxcar/index.html").find(
        "meta", property="og:image") is None
    listing = soup_of(pictured_site, "scar-types/index.html")
    thumbnails = {img.find_parent("li").a.get_text(): img for img in listing.select(".thumbnail")}
    assert thumbnails["Rolling scars"]["src"].endswith("-360.jpg")
    assert (thumbnails["Rolling scars"]["width"], thumbnails["Rolling scars"]["height"]) == (
        "96", "154")
    assert thumbnails["Boxcar scars"]["alt"] == ""  # the title beside it says it all
    assert thumbnails["Boxcar scars"]["src"].endswith(".svg")


def test_pictures_in_static_keep_working(make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article(
        "Guide", "guide", "![The site's logo](/static/logo.svg)\n")})
    write_pictures(site, {"static/logo.svg": SVG.format("").encode()})
    assert build_it(site).ok
    assert soup_of(site, "guides/g/index.html").select_one(".body img")["src"] == "/static/logo.svg"


def test_a_bad_picture_is_reported_at_every_line_that_shows_it_and_nothing_is_published(
        pictured_site: Path) -> None:
    assert build_it(pictured_site).ok
    before = {p: p.read_bytes() for p in (pictured_site / "build").rglob("*") if p.is_file()}
    (pictured_site / "content/scar-types/images/cheek.jpg").write_bytes(gps_photo()[:2000])
    report = build_it(pictured_site)
    assert [str(p) for p in report.problems.items] == [
        f"content/scar-types/rolling.md:{line}: image: 'images/cheek.jpg' is damaged or cut "
        "short; export it again" for line in (8, 17, 19)]
    after = {p: p.read_bytes() for p in (pictured_site / "build").rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize(("field", "message"), [
    ("image: images/rolling.svg",
     "image: needs alt text as well as the picture: write it as 'image: {src: "
     "images/rolling.svg, alt: \"what the picture shows\"}'"),
    ('image: {src: images/rolling.svg, alt: "  "}',
     "image: needs 'alt': text that says what the picture shows"),
    ('image: {src: images/rolling.svg, alt: "A", caption: "B"}',
     "image: unknown key 'caption'; use src and alt"),
    ('image: {src: images/roling.svg, alt: "A"}',
     "image: 'images/roling.svg' does not exist (did you mean 'images/rolling.svg'?)"),
    ("image: [a, b]", "image: must be a mapping with src and alt, not a list"),
])
def test_a_wrong_image_field_is_reported_at_its_line(make_themed_site: Callable[..., Path],
                                                     field: str, message: str) -> None:
    key, _, value = field.partition(": ")
    site = make_themed_site({"content/scar-types/rolling.md": article(
        "Rolling scars", "scar-type", **{key: value})})
    write_pictures(site, {"content/scar-types/images/rolling.svg": SVG.format("").encode()})
    report = build_it(site)
    assert [str(p) for p in report.problems.items] == [
        f"content/scar-types/rolling.md:8: {message}"]


def test_a_picture_is_prepared_once_while_its_bytes_stay_the_same(pictured_site: Path) -> None:
    cache = MemoryCache(Known())
    assert build_it(pictured_site, cache).ok
    first = dict(cache.known.pictures)
    body = pictured_site / "content/scar-types/rolling.md"
    body.write_text(body.read_text() + "\nMore text.\n")
    assert build_it(pictured_site, cache).ok
    assert all(cache.known.pictures[key] is picture for key, picture in first.items())
    write_pictures(pictured_site, {"content/scar-types/images/rolling.svg":
                                   SVG.format("<circle r='5'/>").encode()})
    assert build_it(pictured_site, cache).ok
    assert len(cache.known.pictures.keys() - first.keys()) == 1
    new_svg = soup_of(pictured_site, "guides/g/index.html").select_one(".body img")["src"]
    assert b"circle" in (pictured_site / "build" / new_svg[1:]).read_bytes()


def test_the_disk_cache_keeps_prepared_pictures_for_the_next_build(pictured_site: Path) -> None:
    options = BuildOptions(source=pictured_site, output=pictured_site / "build", search=False)
    assert build(options).ok
    db = sqlite3.connect(pictured_site / ".scarsite-cache" / "cache.sqlite")
    assert db.execute("SELECT count(*) FROM pictures").fetchone() == (3,)
    assert build(options).up_to_date
    (pictured_site / "content/scar-types/images/unused.png").unlink()
    assert not build(options).up_to_date  # a picture is an input like an article
    assert db.execute("SELECT count(*) FROM pictures").fetchone() == (2,)
    write_pictures(pictured_site, {"content/scar-types/images/rolling.svg":
                                   SVG.format("<circle r='5'/>").encode()})
    report = build(options)
    assert report.ok and not report.up_to_date
    new_svg = soup_of(pictured_site, "guides/g/index.html").select_one(".body img")["src"]
    assert b"circle" in (pictured_site / "build" / new_svg[1:]).read_bytes()
