"""Podcast sources: every format is built here, read into sections, and its failures are explained."""

from __future__ import annotations

import argparse
import functools
import http.server
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import docx
import pymupdf
import pytest

from cli import podcast_cmd
from engine.podcast.sources import DocumentUnreadable, ScannedDocument, Source, load_source, load_sources

WORDS = (
    "signal model voice latency speech window audio frame token buffer river stone "
    "garden lantern harbor meadow copper violet thunder quiet market pencil"
).split()


def prose(seed: int, lines: int) -> list[str]:
    """Lines of varied words, so no body line repeats from page to page."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(9)) for _ in range(lines)]


def save(doc: pymupdf.Document, path: Path, **kwargs: object) -> Path:
    doc.save(path, **kwargs)
    doc.close()
    return path


def text_page(doc: pymupdf.Document, heading: str | None, body: list[str], seed: int = 0) -> pymupdf.Page:
    page = doc.new_page()
    y = 90.0
    if heading:
        page.insert_text((72, y), heading, fontsize=20)
        y += 40
    page.insert_text((72, y), "\n".join(body), fontsize=11)
    return page


@pytest.fixture()
def toc_pdf(tmp_path: Path) -> Path:
    doc = pymupdf.open()
    text_page(doc, "Introduction", ["The infor-", "mation flows in.", *prose(1, 3)])
    text_page(doc, "Methods", prose(2, 4))
    text_page(doc, None, prose(3, 4))
    text_page(doc, "Data", prose(4, 4))
    text_page(doc, "Results", prose(5, 4))
    doc.set_toc([[1, "Introduction", 1], [1, "Methods", 2], [2, "Data", 4], [1, "Results", 5]])
    doc.set_metadata({"title": "A Small Study"})
    return save(doc, tmp_path / "study.pdf")


def test_pdf_sections_follow_the_outline_with_page_ranges(toc_pdf: Path) -> None:
    source = load_source(toc_pdf)
    assert (source.kind, source.title) == ("pdf", "A Small Study")
    assert [(s.title, s.ref) for s in source.sections] == [
        ("Introduction", "p. 1"),
        ("Methods", "pp. 2–3"),
        ("Data", "p. 4"),
        ("Results", "p. 5"),
    ]
    assert source.sections[0].text.startswith("The information flows in.")
    assert "Data" not in source.sections[2].text
    assert len(source.sha256) == 64 and source.sha256 == load_source(toc_pdf).sha256


def test_pdf_without_outline_splits_at_larger_font_headings(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = text_page(doc, "Background", prose(1, 5))
    page.insert_text((72, 300), "Findings", fontsize=20)
    page.insert_text((72, 340), "\n".join(["They were care-", "fully checked.", *prose(2, 3)]), fontsize=11)
    text_page(doc, None, prose(3, 5))
    text_page(doc, "Outlook", prose(4, 5))
    source = load_source(save(doc, tmp_path / "headings.pdf"))
    assert [(s.title, s.ref) for s in source.sections] == [
        ("Background", "p. 1"),
        ("Findings", "pp. 1–2"),
        ("Outlook", "p. 3"),
    ]
    assert source.sections[1].text.startswith("They were carefully checked.")


def test_pdf_without_outline_or_headings_gives_one_section_per_page(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for seed in range(2):
        text_page(doc, None, prose(seed, 6))
    source = load_source(save(doc, tmp_path / "plain.pdf"))
    assert [(s.title, s.ref) for s in source.sections] == [("Page 1", "p. 1"), ("Page 2", "p. 2")]


def test_templated_pages_keep_their_text_when_every_line_repeats(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for number in range(3):
        text_page(doc, f"Part {number}", ["Same body on every page.", "Second line."])
    source = load_source(save(doc, tmp_path / "template.pdf"))
    assert [(s.title, s.ref, s.text) for s in source.sections] == [
        (f"Part {n}", f"p. {n + 1}", "Same body on every page. Second line.") for n in range(3)
    ]


def test_long_pdf_keeps_chapters_and_strips_running_header_and_footer(tmp_path: Path) -> None:
    doc = pymupdf.open()
    toc = []
    for number in range(220):
        chapter, offset = divmod(number, 10)
        heading = f"Chapter {chapter + 1}: {WORDS[chapter].title()}" if offset == 0 else None
        page = text_page(doc, heading, prose(number, 6))
        page.insert_text((72, 40), "The Long Test Book — Draft", fontsize=9)
        page.insert_text((280, 800), f"Page {number + 1} of 220", fontsize=9)
        if heading:
            toc.append([1, heading, number + 1])
    doc.set_toc(toc)
    source = load_source(save(doc, tmp_path / "book.pdf"))
    assert len(source.sections) == 22
    assert [s.ref for s in source.sections[:2]] == ["pp. 1–10", "pp. 11–20"]
    assert source.sections[-1].ref == "pp. 211–220"
    assert source.sections[4].title == f"Chapter 5: {WORDS[4].title()}"
    everything = "\n".join(s.text for s in source.sections)
    assert "Long Test Book" not in everything and "of 220" not in everything
    assert prose(105, 6)[0] in source.sections[10].text


def test_encrypted_pdf_is_reported_as_password_protected(tmp_path: Path) -> None:
    doc = pymupdf.open()
    text_page(doc, "Secret", prose(1, 3))
    path = save(
        doc, tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y"
    )
    with pytest.raises(DocumentUnreadable, match="locked.pdf is password-protected"):
        load_source(path)


def test_image_only_pdf_is_reported_as_scanned(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for _ in range(2):
        pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
        pixmap.clear_with(180)
        doc.new_page().insert_image(pymupdf.Rect(50, 50, 400, 400), pixmap=pixmap)
    with pytest.raises(ScannedDocument, match=r"scan\.pdf has no text layer \(scanned\?\)") as caught:
        load_source(save(doc, tmp_path / "scan.pdf"))
    assert "OCR" in caught.value.hint


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.pdf", b"", "empty.pdf is empty"),
        ("corrupt.pdf", b"%PDF-1.7\n\x00\x01 this is not a PDF body", "corrupt.pdf is not a readable PDF"),
        ("noise.pdf", bytes(range(256)) * 8, "noise.pdf is not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "broken.docx is not a readable Word document"),
        ("binary.txt", b"\x00\x01\x02text", "binary.txt looks like a binary file"),
        ("slides.pptx", b"anything", r"\.pptx files are not supported"),
    ],
)
def test_unreadable_files_name_the_file_and_the_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentUnreadable, match=reason):
        load_source(path)


def test_blank_pdf_and_missing_file_are_unreadable(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page()
    with pytest.raises(DocumentUnreadable, match="no text and no images") as caught:
        load_source(save(doc, tmp_path / "blank.pdf"))
    assert not isinstance(caught.value, ScannedDocument)
    with pytest.raises(DocumentUnreadable, match="does not exist"):
        load_source(tmp_path / "missing.pdf")


def test_docx_sections_by_heading_1_and_2(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Quarterly Report", 0)
    document.add_paragraph("A short preface.")
    document.add_heading("1 Introduction", 1)
    document.add_paragraph("Why we did it.")
    document.add_heading("2.1 Methods", 2)
    document.add_paragraph("How we did it.")
    document.add_heading("Fine print", 3)
    document.add_paragraph("Details stay inside the Methods section.")
    document.add_heading("3 Empty", 1)
    path = tmp_path / "report.docx"
    document.save(path)
    source = load_source(path)
    assert (source.kind, source.title) == ("docx", "Quarterly Report")
    assert [(s.title, s.ref) for s in source.sections] == [
        ("Opening", "§ opening"),
        ("1 Introduction", "§ 1 Introduction"),
        ("2.1 Methods", "§ 2.1 Methods"),
    ]
    assert source.sections[2].text == (
        "How we did it.\n\nFine print\n\nDetails stay inside the Methods section."
    )


def test_markdown_sections_by_top_two_heading_levels(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide\n\nWelcome.\n\n## Install\n\nRun the installer.\n\n```sh\n# not a heading\n```\n\n"
        "### Detail\n\nStill installing.\n\n## Use\n\nPress the button.\n",
        encoding="utf-8",
    )
    source = load_source(path)
    assert (source.kind, source.title) == ("markdown", "Guide")
    assert [s.ref for s in source.sections] == ["§ Guide", "§ Install", "§ Use"]
    assert "# not a heading" in source.sections[1].text and "Still installing." in source.sections[1].text


def test_plain_text_groups_paragraphs_of_about_2000_chars(tmp_path: Path) -> None:
    paragraphs = [" ".join(prose(n, 8))[:500].strip().ljust(520, ".") for n in range(10)]
    paragraphs[0] = "The infor-\nmation arrives wrapped\nacross lines. " + paragraphs[0]
    path = tmp_path / "notes.txt"
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    source = load_source(path)
    assert source.kind == "text"
    assert [s.ref for s in source.sections] == ["¶ 1–4", "¶ 5–8", "¶ 9–10"]
    assert source.sections[0].text.startswith("The information arrives wrapped across lines.")


HTML_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Field Notes</title>
<style>body { color: red }</style><script>var tracking = "SECRET";</script></head>
<body><nav><a href="/">Home</a> | <a href="/menu">Menu link</a></nav>
<h1>Field Notes</h1><p>Opening words &amp; more.</p>
<h2>Birds</h2><p>Swallows return<br>in spring.</p><ul><li>Swift</li><li>Wren</li></ul>
<h3>Night birds</h3><p>Owls hunt at dusk.</p>
<footer>Copyright footer</footer></body></html>"""


def test_html_file_strips_scripts_styles_and_navigation(tmp_path: Path) -> None:
    path = tmp_path / "notes.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    source = load_source(path)
    assert (source.kind, source.title) == ("html", "Field Notes")
    assert [s.ref for s in source.sections] == ["§ Field Notes", "§ Birds", "§ Night birds"]
    assert source.sections[0].text == "Opening words & more."
    assert source.sections[1].text == "Swallows return\n\nin spring.\n\nSwift\n\nWren"
    everything = " ".join(s.text for s in source.sections)
    for hidden in ("SECRET", "color", "Menu link", "Copyright"):
        assert hidden not in everything


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def web_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A local web server over a temporary folder; yields its base address and the folder."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    root = tmp_path / "site"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_web_page_and_served_pdf_are_fetched(web_root: tuple[str, Path], toc_pdf: Path) -> None:
    base, root = web_root
    (root / "notes.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "study.pdf").write_bytes(toc_pdf.read_bytes())
    page, pdf = load_sources([f"{base}/notes.html", f"{base}/study.pdf"], timeout_s=5)
    assert (page.kind, page.title, page.path_or_url) == ("web", "Field Notes", f"{base}/notes.html")
    assert [s.ref for s in page.sections] == ["§ Field Notes", "§ Birds", "§ Night birds"]
    assert pdf.kind == "pdf" and [s.ref for s in pdf.sections] == ["p. 1", "pp. 2–3", "p. 4", "p. 5"]
    with pytest.raises(DocumentUnreadable, match="HTTP 404"):
        load_source(f"{base}/missing.html", timeout_s=5)


def test_unreachable_address_says_offline_and_suggests_saving_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    url = f"http://127.0.0.1:{closed_port()}/article"
    with pytest.raises(DocumentUnreadable, match=r"could not be fetched .*\(offline\?\)") as caught:
        load_source(url, timeout_s=3)
    assert "Save the page" in caught.value.hint


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nexus-cli")
    podcast_cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_ingest_prints_sections_and_fails_for_a_bad_file(
    toc_pdf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    assert run_cli(["podcast", "ingest", str(toc_pdf)]) == 0
    out = capsys.readouterr().out
    assert "A Small Study  [pdf]  sha256 " in out
    assert "pp. 2–3  Methods  (" in out and "4 sections" in out

    assert run_cli(["podcast", "ingest", str(bad), str(toc_pdf)]) == 1
    captured = capsys.readouterr()
    assert "bad.pdf is not a readable PDF" in captured.err and "hint:" in captured.err
    assert "A Small Study" in captured.out


def test_cli_main_runs_podcast_ingest(
    toc_pdf: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import cli.main

    monkeypatch.setattr(cli.main, "COMMAND_MODULES", (podcast_cmd,))
    assert cli.main.main(["podcast", "ingest", str(toc_pdf)]) == 0
    assert "Introduction" in capsys.readouterr().out


def test_source_totals(toc_pdf: Path) -> None:
    source: Source = load_source(toc_pdf)
    assert source.chars == sum(len(s.text) for s in source.sections) > 0


def test_typographic_ligatures_are_spelled_out(tmp_path: Path) -> None:
    from engine.podcast.sources import load_source

    doc = tmp_path / "ligatures.md"
    doc.write_text("# The \ufb01rst chapter\n\nThe e\ufb00ect of the of\ufb01ce \ufb02ow on sta\ufb00.\n", encoding="utf-8")
    source = load_source(str(doc))
    text = " ".join(section.text for section in source.sections)
    assert "The effect of the office flow on staff." in text
    assert not any(0xFB00 <= ord(ch) <= 0xFB06 for ch in text)
