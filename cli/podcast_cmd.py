"""``nexus-cli podcast ingest``: read podcast sources and list their referenced sections."""

from __future__ import annotations

import argparse
import sys

from engine.podcast.sources import DocumentUnreadable, Source, load_source


def _print_source(source: Source) -> None:
    print(f"{source.title}  [{source.kind}]  sha256 {source.sha256[:12]}  {source.path_or_url}")
    width = max(len(section.ref) for section in source.sections)
    for section in source.sections:
        print(f"  {section.ref:<{width}}  {section.title}  ({section.chars:,} chars)")
    print(f"  {len(source.sections)} sections, {source.chars:,} chars")


def ingest(args: argparse.Namespace) -> int:
    """Print each source's sections; report unreadable ones on stderr and return 1 if any failed."""
    failed = 0
    for target in args.files:
        try:
            source = load_source(target, timeout_s=args.timeout)
        except DocumentUnreadable as exc:
            failed += 1
            print(f"error: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"hint: {exc.hint}", file=sys.stderr)
            continue
        _print_source(source)
    if failed:
        print(f"{failed} of {len(args.files)} sources could not be read", file=sys.stderr)
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``podcast`` and its ``ingest`` action to the CLI."""
    parser = subparsers.add_parser("podcast", help="prepare podcast episodes from documents and web pages")
    actions = parser.add_subparsers(dest="podcast_action", metavar="ACTION", required=True)
    ingest_parser = actions.add_parser(
        "ingest",
        help="read sources and print their sections with references and sizes",
        description="Read PDF, DOCX, Markdown, text and HTML files or http(s) pages and list their sections.",
    )
    ingest_parser.add_argument("files", nargs="+", metavar="FILE", help="a file path or an http(s) address")
    ingest_parser.add_argument(
        "--timeout", type=float, default=15.0, metavar="SECONDS", help="how long to wait for a web page"
    )
    ingest_parser.set_defaults(func=ingest)
