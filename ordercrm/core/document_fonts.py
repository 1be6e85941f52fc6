"""The CJK fonts of printable documents, cut down once to the characters documents use.

The system's Noto Sans CJK faces are one 20 MB collection per weight. WeasyPrint embeds only
the glyphs a document uses, but to get there it copies the whole collection into memory and
subsets 65,535 glyphs, twice per weight, for every document: 250–400 ms of a 5-line order.

So once per machine (then once per process, from disk) each face is cut down with HarfBuzz
to Latin, punctuation, kana, full-width forms and the Han characters of GB 2312 (Simplified,
6,763) or Big5 (Traditional, 13,061): 3–7 MB. Documents name that cut-down face first and the
full system face next, so a character outside it (a rare name) still prints, from the full
font: never a missing glyph, only a slower document. The files live in
``settings.DOCUMENT_FONT_DIR``, named by the source file's path, size and mtime and by
``CHARSET_VERSION``; a font upgrade or a new character set makes new files.

Nothing here is required: without HarfBuzz-subset, fontconfig's ``fc-list`` or the Noto CJK
fonts the documents use the system fonts as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CHARSET_VERSION = "1"
# (family of the system face, codec whose Han characters the cut-down face keeps)
SCRIPTS = {"SC": ("Noto Sans CJK SC", "gb2312"), "TC": ("Noto Sans CJK TC", "big5")}
WEIGHTS = {"normal": 80, "bold": 200}  # fontconfig weights of Regular and Bold
# Besides Han: Latin with accents, punctuation, currency, letterlike symbols, arrows, maths,
# enclosed numbers, shapes, CJK punctuation, kana and the half/full-width forms.
BASE_RANGES = (
    (0x20, 0x24F),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x22FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x25FF),
    (0x3000, 0x30FF),
    (0xFF00, 0xFFEF),
)


@dataclass(frozen=True)
class Face:
    """A cut-down face on disk, named ``family`` in the documents' CSS."""

    family: str
    weight: str
    path: Path


def family_name(script: str) -> str:
    """The CSS family of the cut-down face of ``script`` (``Noto Sans CJK SC Common``)."""
    return f"{SCRIPTS[script][0]} Common"


_lock = threading.Lock()
_faces: list[Face] | None = None


def faces() -> list[Face]:
    """The cut-down faces of this machine, made on first use (about 1–3 s, once)."""
    global _faces
    with _lock:
        if _faces is None:
            _faces = _build_all()
        return _faces


def _build_all() -> list[Face]:
    from django.conf import settings

    folder = Path(settings.DOCUMENT_FONT_DIR)
    found = []
    try:
        sources = _system_faces()
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("document fonts: fc-list failed (%s); using the system fonts", exc)
        return []
    for script, (family, codec) in SCRIPTS.items():
        for weight, fc_weight in WEIGHTS.items():
            source = sources.get((family, fc_weight))
            if source is None:
                continue
            try:
                path = _cut(folder, source, codec)
            except Exception as exc:  # any failure: the system font serves
                logger.warning("document fonts: cannot cut %s %s: %s", family, weight, exc)
                continue
            found.append(Face(family_name(script), weight, path))
    return found


def _system_faces() -> dict[tuple[str, int], tuple[str, int]]:
    """(family, fontconfig weight) → (file, index in the collection)."""
    result = {}
    for family, _codec in SCRIPTS.values():
        listing = subprocess.run(  # noqa: S603 — fixed arguments
            ["fc-list", "--format=%{file}|%{index}|%{weight}\n", family],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        for row in listing.splitlines():
            file, index, weight = row.split("|")
            if weight.isdigit():
                result.setdefault((family, int(weight)), (file, int(index)))
    return result


def _cut(folder: Path, source: tuple[str, int], codec: str) -> Path:
    file, index = source
    stat = os.stat(file)
    key = f"{file}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{codec}|{CHARSET_VERSION}"
    path = folder / f"doc-{hashlib.sha256(key.encode()).hexdigest()[:16]}.otf"
    if path.exists():
        return path
    data = _harfbuzz_subset(file, index, _codepoint_ranges(codec))
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)  # atomic: a parallel process sees the whole file or none
    return path


def _codepoint_ranges(codec: str) -> list[tuple[int, int]]:
    ranges = [list(r) for r in BASE_RANGES]
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode(codec)
        except UnicodeEncodeError:
            continue
        if ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return [tuple(r) for r in ranges]


_FFI = None


def _harfbuzz():
    global _FFI
    if _FFI is None:
        from cffi import FFI

        ffi = FFI()
        ffi.cdef("""
            typedef struct hb_blob_t hb_blob_t;
            typedef struct hb_face_t hb_face_t;
            typedef struct hb_set_t hb_set_t;
            typedef struct hb_subset_input_t hb_subset_input_t;
            hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
            void hb_blob_destroy(hb_blob_t *blob);
            const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
            hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
            void hb_face_destroy(hb_face_t *face);
            hb_blob_t *hb_face_reference_blob(hb_face_t *face);
            void hb_set_add_range(hb_set_t *set, uint32_t first, uint32_t last);
            hb_subset_input_t *hb_subset_input_create_or_fail(void);
            void hb_subset_input_destroy(hb_subset_input_t *input);
            hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
            void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
            hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
        """)
        _FFI = (ffi, ffi.dlopen("libharfbuzz.so.0"), ffi.dlopen("libharfbuzz-subset.so.0"))
    return _FFI


def _harfbuzz_subset(file: str, index: int, ranges: list[tuple[int, int]]) -> bytes:
    """The face ``index`` of ``file`` with only the glyphs of ``ranges`` (and what its
    layout tables reach from them), hinting dropped; subroutines are kept (smaller file)."""
    ffi, hb, hbs = _harfbuzz()
    no_hinting, notdef_outline = 0x1, 0x40
    blob = hb.hb_blob_create_from_file_or_fail(file.encode())
    if blob == ffi.NULL:
        raise OSError(f"cannot read {file}")
    face = hb.hb_face_create(blob, index)
    request = hbs.hb_subset_input_create_or_fail()
    try:
        unicodes = hbs.hb_subset_input_unicode_set(request)
        for first, last in ranges:
            hb.hb_set_add_range(unicodes, first, last)
        hbs.hb_subset_input_set_flags(request, no_hinting | notdef_outline)
        subset = hbs.hb_subset_or_fail(face, request)
        if subset == ffi.NULL:
            raise OSError(f"HarfBuzz could not subset {file}#{index}")
        try:
            out = hb.hb_face_reference_blob(subset)
            length = ffi.new("unsigned int *")
            data = ffi.buffer(hb.hb_blob_get_data(out, length), length[0])[:]
            hb.hb_blob_destroy(out)
        finally:
            hb.hb_face_destroy(subset)
    finally:
        hbs.hb_subset_input_destroy(request)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    if not data:
        raise OSError(f"HarfBuzz made an empty font of {file}#{index}")
    return data
