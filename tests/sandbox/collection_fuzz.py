"""Hostile output archives for the collection path, shared by its fuzz test and benchmarks/fuzz_collection.py.

The path under test is everything the host does with a container's /out:
tar stream bytes -> ``streams.extract_outputs`` (which parses report.json with
``streams.parse_report``) -> ``validation.validate_outputs`` (which decodes the PNGs). Every
byte of the archive is the participant's, so the only exceptions allowed out are
``SandboxError``s; ``collect`` returns the outcome and lets anything else escape.
"""
from __future__ import annotations

import functools
import io
import json
import struct
import tarfile
import tempfile
import zlib
from pathlib import Path

from hypothesis import strategies as st
from PIL import Image

from sandbox.errors import SandboxError
from sandbox.examples import write_image_set
from sandbox.streams import extract_outputs
from sandbox.validation import validate_outputs

SIZE = (32, 24)  # the content images' (width, height)
MAX_MEMBERS = 8  # small, so that the member cap is hit too
REPORT_KEYS = ("status", "format", "torch_version", "device", "python", "load_s", "total_s", "peak_rss_mb",
               "peak_cuda_mb", "pairs_written", "parameter_count", "batches", "error")
NAMES = ("./images/p0.png", "./images/p1.png", "./report.json", "./images", ".", "./", "./images/p9.png",
         "images/p0.png", "./images/../p0.png", "./images/sub/p0.png", "/images/p0.png", "./images/p0.png/",
         "./images/p0.png\n", "./images/.p0.png", "./report.json/x", "./scratch.txt", "./images/" + "a" * 300)
TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE,
         tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.CONTTYPE, tarfile.GNUTYPE_SPARSE, b"x")
FORMATS = (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT)


@functools.cache
def zlib_bomb() -> bytes:
    """A zlib stream that inflates to 64 MiB of zeros: for IDAT, zTXt and iCCP chunks (made once, lazily)."""
    return zlib.compress(b"\0" * (64 << 20), 9)


def make_inputs(dest: Path) -> Path:
    """The image set the outputs are validated against: two pairs, content images of SIZE."""
    return write_image_set(dest, n_pairs=2, size=SIZE)


def collect(archive: bytes, inputs: Path) -> str:
    """Run one archive through collection and validation; return ``"ok"`` or the error's code."""
    with tempfile.TemporaryDirectory(prefix="fuzz-collect-") as scratch:
        try:
            extract_outputs(io.BytesIO(archive), Path(scratch) / "out", max_members=MAX_MEMBERS)
            validate_outputs(Path(scratch) / "out", inputs)
        except SandboxError as exc:
            return exc.code
    return "ok"


# ---------------------------------------------------------------- PNG bytes
def pil_png(mode: str, size: tuple[int, int], seed: int) -> bytes:
    image = Image.frombytes("RGB", size, bytes((seed + i) % 256 for i in range(size[0] * size[1] * 3)))
    buf = io.BytesIO()
    image.convert(mode).save(buf, format="PNG")
    return buf.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def crafted_png(width: int, height: int, depth: int, color: int, idat: bytes, extra: list[tuple[bytes, bytes]],
                interlace: int) -> bytes:
    """A PNG with valid chunk framing and CRCs around arbitrary header values and payloads."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    body = b"".join(chunk(kind, data) for kind, data in extra)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + body + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    buf = bytearray(data)
    for position, value in edits:
        if buf:
            buf[position % len(buf)] = value
    return bytes(buf[:cut] if cut is not None else buf)


sizes = st.sampled_from([SIZE, (31, 24), (32, 25), (1, 1), (64, 48), (24, 32)])
dimensions = st.one_of(st.sampled_from([0, 1, 24, 32, 1 << 16, 2**31 - 1, 2**32 - 1]), st.integers(0, 2**32 - 1))
idat = st.one_of(
    st.binary(max_size=64),
    st.binary(max_size=2000).map(zlib.compress),
    st.integers(0, 4000).map(lambda n: zlib.compress(b"\0" * n)),
    st.builds(zlib_bomb),
)
extra_chunks = st.lists(st.tuples(
    st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"PLTE", b"tRNS", b"pHYs", b"gAMA", b"sRGB", b"cHRM",
                     b"acTL", b"fcTL", b"fdAT", b"eXIf", b"IDAT", b"sBIT", b"bKGD", b"IEND"]) | st.binary(min_size=4, max_size=4),
    st.one_of(st.binary(max_size=64), st.builds(lambda: b"k\0\0" + zlib_bomb()), st.just(b"\0" * 26)),
), max_size=3)
valid_png = st.builds(pil_png, st.sampled_from(["RGB", "RGBA", "L", "P", "I;16", "1", "LA"]), sizes,
                      st.integers(0, 255))
png_bytes = st.one_of(
    valid_png,
    st.builds(crafted_png, dimensions, dimensions, st.sampled_from([1, 2, 4, 8, 16, 3, 0]),
              st.sampled_from([0, 2, 3, 4, 6, 1, 7]), idat, extra_chunks, st.sampled_from([0, 1, 2])),
    st.builds(crafted_png, st.just(SIZE[0]), st.just(SIZE[1]), st.just(8), st.sampled_from([2, 6, 3]), idat,
              extra_chunks, st.sampled_from([0, 1])),
    st.builds(mutate, valid_png, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
              st.none() | st.integers(0, 400)),
    st.binary(max_size=300),
)

# ---------------------------------------------------------------- report.json bytes
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(REPORT_KEYS) | st.text(max_size=8),
                                                                inner, max_size=5),
    max_leaves=20,
)
good_report = st.fixed_dictionaries(
    {"status": st.just("ok"), "pairs_written": st.just(2)},
    optional={"batches": st.lists(st.fixed_dictionaries({"index": st.integers(0, 9), "pairs": st.integers(0, 4),
                                                         "seconds": st.floats(0, 10)}), max_size=3),
              "error": st.fixed_dictionaries({"code": st.text(max_size=30), "message": st.text(max_size=60)}),
              "total_s": st.floats(0, 1e6), "parameter_count": st.none() | st.integers(0, 10**9)},
)
report_bytes = st.one_of(
    good_report.map(lambda r: json.dumps(r).encode()),
    st.dictionaries(st.sampled_from(REPORT_KEYS), json_values, max_size=6).map(lambda r: json.dumps(r).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),  # allow_nan: NaN and Infinity appear as bare words
    st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * (n % 3)),
    st.integers(1, 6000).map(lambda n: b'{"total_s": 1' + b"0" * n + b"}"),
    st.sampled_from([b'{"total_s": 1e999}', b'{"pairs_written": -1}', b'{"status": "\\u0000\\ud800"}',
                     b'\xef\xbb\xbf{"status": "ok"}', b'{"batches": [[], 1, {"index": true}]}']),
    st.integers(0, 300_000).map(lambda n: b" " * n),  # the harness's reserved, never-written report
    st.binary(max_size=200),
)

# ---------------------------------------------------------------- tar archives
member_data = st.one_of(png_bytes, report_bytes, st.binary(max_size=100))


def build_tar(members: list[tuple[str, bytes, bytes, str, int]], tar_format: int) -> bytes:
    """A tar stream of ``members`` (name, type, data, link name, mode); members tarfile cannot encode are left out."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tar_format) as tar:
        for name, kind, data, linkname, mode in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode = kind, linkname, mode
            info.size = len(data) if kind in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE) else 0
            try:
                tar.addfile(info, io.BytesIO(data) if info.size else None)
            except (ValueError, UnicodeError):  # e.g. a name too long for ustar
                continue
    return buf.getvalue()


def refix_checksums(data: bytes) -> bytes:
    """Recompute the checksum of every block that looks like a tar header, so that edits get past it."""
    buf = bytearray(data)
    for start in range(0, len(buf) - 511, 512):
        block = buf[start:start + 512]
        if block[257:262] == b"ustar":
            block[148:156] = b" " * 8
            buf[start + 148:start + 156] = b"%06o\0 " % sum(block)
    return bytes(buf)


members = st.lists(st.tuples(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=30)),
    st.sampled_from(TYPES),
    member_data,
    st.sampled_from(["", "/etc/passwd", "p1.png", "images/p0.png", "../../x"]),
    st.sampled_from([0o644, 0o000, 0o7777, 0o755]),
), max_size=10)
good_png = st.builds(pil_png, st.just("RGB"), st.just(SIZE), st.integers(0, 255))


def near_valid_tar(p0: bytes, p1: bytes, report: bytes, extra: list, tar_format: int) -> bytes:
    """The harness's layout (so that validation decodes the PNGs), with hostile parts drawn in."""
    layout = [("./", tarfile.DIRTYPE, b"", "", 0o755), ("./images", tarfile.DIRTYPE, b"", "", 0o755),
              ("./images/p0.png", tarfile.REGTYPE, p0, "", 0o644), ("./images/p1.png", tarfile.REGTYPE, p1, "", 0o644),
              ("./report.json", tarfile.REGTYPE, report, "", 0o644)]
    return build_tar(layout + extra, tar_format)


structured_tar = st.one_of(
    st.builds(build_tar, members, st.sampled_from(FORMATS)),
    # Mostly a good report, so that extraction gets through and validation decodes the PNGs.
    st.builds(near_valid_tar, png_bytes | good_png, good_png,
              st.one_of(good_report.map(lambda r: json.dumps(r).encode()), report_bytes),
              members.map(lambda m: m[:1]), st.sampled_from(FORMATS)),
)
archives = st.one_of(
    structured_tar,
    st.builds(lambda data, edits, cut: refix_checksums(mutate(data, edits, cut)), structured_tar,
              st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 255)), min_size=1, max_size=6),
              st.none() | st.integers(0, 20_000)),
    st.builds(mutate, structured_tar, st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 255)), max_size=6),
              st.none() | st.integers(0, 20_000)),
    st.binary(max_size=2048),
)
