"""Reading real PDFs back in tests: the text (``pdftotext -layout``) and the font table
(``pdffonts``) from poppler-utils, which ``.ci/run`` installs. Both read the PDF from stdin,
so no file is written."""

from __future__ import annotations

import subprocess


def _poppler(tool: list[str], data: bytes) -> str:
    return subprocess.run(tool, input=data, check=True, capture_output=True).stdout.decode()


def pdf_text(data: bytes) -> str:
    """The document's text, laid out as on the page (columns stay on one line)."""
    return _poppler(["pdftotext", "-layout", "-", "-"], data)


def pdf_fonts(data: bytes) -> str:
    """The table of fonts the document uses, with whether each is embedded and subset."""
    return _poppler(["pdffonts", "-"], data)
