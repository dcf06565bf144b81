"""``nexus-cli data generate|load|import|validate|mix|export|stats|from-sessions``: the dataset workbench."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from engine.config import load_settings
from engine.errors import NexusError, describe_os_error


def _failures() -> tuple[type[BaseException], ...]:
    from training.datasets.export import ExportError
    from training.datasets.formats.common import NormalizeError
    from training.datasets.git_source import GitSourceError
    from training.datasets.hub import HubError
    from training.datasets.hub_recipes import RecipeError
    from training.datasets.store import DatasetError
    from training.datasets.synthetic.registry import UnknownCategory

    return (ExportError, NormalizeError, GitSourceError, HubError, RecipeError, DatasetError, UnknownCategory,
            FileNotFoundError)


_DATASET_HINT = "Pass a dataset folder made by `nexus-cli data generate`, `import`, `load` or `mix` (it holds dataset.json)."
# The next step shown with a workbench error that does not bring its own.
_HINTS = {
    "generate": "Choose a new output folder, and category names from `nexus-cli data categories`.",
    "categories": "",
    "load": "Check the recipe name and the connection, then run the command again: it resumes.",
    "import": "Pass JSON, JSONL, CSV or Parquet files, or a LLaMA-Factory folder with dataset_info.json.",
    "validate": _DATASET_HINT,
    "mix": _DATASET_HINT + " The output folder must be new or empty.",
    "export": _DATASET_HINT,
    "stats": _DATASET_HINT,
    "from-sessions": "Pass recorded Live session folders or podcast episode folders, or a folder that holds them.",
}


def _output_of(args: argparse.Namespace) -> Path | None:
    value = getattr(args, "output", None)
    return Path(value) if value else None


def _reporting(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the workbench's own errors and file-system faults into the CLI's error message and exit code."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except _failures() as exc:
            message = str(exc).strip() or exc.__class__.__name__
            hint = getattr(exc, "hint", "") or _HINTS.get(args.data_action, "")
            raise NexusError(message if message.endswith((".", "?", "!")) else message + ".", hint) from exc
        except UnicodeDecodeError as exc:
            raise NexusError(
                f"A file is not UTF-8 text ({exc.reason} at byte {exc.start}).",
                _HINTS.get(args.data_action, "") or "Check that the inputs are the files you meant.",
            ) from exc
        except ValueError as exc:  # impossible settings (fractions, weights) and malformed inputs
            logging.getLogger(__name__).debug("data %s refused", args.data_action, exc_info=True)
            message = str(exc).strip() or exc.__class__.__name__
            raise NexusError(f"The settings or inputs cannot work: {message.rstrip('.')}.",
                             f"Run `nexus-cli data {args.data_action} --help` to see what it takes.") from exc
        except OSError as exc:
            raise describe_os_error(exc, _output_of(args)) from exc

    run.__doc__ = func.__doc__
    return run


def _progress(label: str) -> Callable[..., None]:
    last = [-1]

    def report(*args: object) -> None:
        if len(args) == 2:  # (done, total) from the synthetic generator
            done, total = args
        else:
            progress = args[0]
            done, total = progress.written, progress.limit or 0  # type: ignore[attr-defined]
        step = int(done) // 1000
        if step != last[0]:
            last[0] = step
            print(f"  {label}: {done:,}" + (f" / {total:,}" if total else ""), file=sys.stderr, flush=True)

    return report


def generate(args: argparse.Namespace) -> int:
    """Synthetic repetitive-prompt samples or preference pairs into a new dataset folder."""
    out = Path(args.output)
    if args.pairs:
        from training.datasets.preference import generate_pairs_to_folder, pair_categories

        categories = args.categories.split(",") if args.categories else pair_categories(args.mode)
        card = generate_pairs_to_folder(out, categories, args.per_category, args.seed, args.mode,
                                        progress=_progress("pairs"))
    else:
        from training.datasets.synthetic import generate_to_folder, list_categories

        if args.categories:
            categories = args.categories.split(",")
        else:
            categories = [c.name for c in list_categories() if args.group in (None, c.group)]
        card = generate_to_folder(out, categories, args.per_category, args.seed, progress=_progress("samples"))
    if card is None:
        return 1
    print(f"{card.total:,} records in {out} ({len(card.counts_by_category)} categories)")
    return 0


def categories(args: argparse.Namespace) -> int:
    """List the synthetic categories (and the preference-pair categories)."""
    from training.datasets.preference import pair_categories
    from training.datasets.synthetic import list_categories

    for info in list_categories():
        print(f"{info.group:12s} {info.domain:24s} {info.kind:11s} {info.name}")
    print("pairs (censored):", ", ".join(pair_categories("censored")))
    return 0


def load(args: argparse.Namespace) -> int:
    """Build a dataset from a hub recipe (streaming, resumable: run it again to continue)."""
    from engine.paths import cache_dir
    from training.datasets.hub import build_from_recipe
    from training.datasets.hub_recipes import find_recipe

    user_dir = load_settings().folders.resolved_data_dir() / "recipes"
    recipe = find_recipe(args.recipe, user_dir)
    report = build_from_recipe(recipe, Path(args.output), total=args.total, cache_dir=cache_dir() / "datasets",
                               progress=_progress(recipe.name))
    print(report.summary())
    return 0 if report.complete else 1


def import_(args: argparse.Namespace) -> int:
    """Normalise files (JSON, JSONL, CSV, Parquet, LLaMA-Factory folders) into a dataset."""
    from training.datasets.normalize import import_files

    report = import_files([Path(p) for p in args.files], Path(args.output), domain=args.domain,
                          category=args.category, source=args.source, progress=_progress("rows"))
    if not report.imported:
        unreadable = next((f"{Path(f.path).name}: {f.error}" for f in report.files if f.error), "")
        first = report.errors[0] if report.errors else None
        why = unreadable or (
            f"{report.skipped} row(s) skipped, e.g. {Path(first.file).name} row {first.row}: {first.message}"
            if first else "the files hold no rows"
        )
        if len(why) > 200:
            why = why[:199] + "…"
        raise NexusError(
            f"No row could be imported, so nothing was written to {args.output}" + (f" ({why})." if why else "."),
            _HINTS["import"],
        )
    for file in report.files:
        if file.error:
            print(f"  unreadable: {file.path}: {file.error}", file=sys.stderr)
    for error in report.errors[:10]:
        print(f"  skipped: {error.file} row {error.row}: {error.message}", file=sys.stderr)
    print(report.summary())
    return 0


def validate(args: argparse.Namespace) -> int:
    """Check every row; write the good ones to OUT and a JSON report."""
    from training.datasets.validator import validate_folder

    report = validate_folder(Path(args.dataset), Path(args.output) if args.output else None)
    print(report.summary())
    for reason, count in sorted(report.counts_by_reason.items(), key=lambda item: -item[1]):
        examples = ", ".join(e.get("id") or e.get("where", "") for e in report.examples.get(reason, [])[:3])
        print(f"  {reason:22s} {count:6d}  e.g. {examples}")
    return 0


def mix(args: argparse.Namespace) -> int:
    """Mix datasets into train/val/test folders."""
    from training.datasets.mixer import MixConfig, MixSource, mix_datasets

    config = MixConfig(real_fraction=args.real_fraction, seed=args.seed, target_total=args.total)
    result = mix_datasets([MixSource(Path(p)) for p in args.datasets], Path(args.output), config)
    print(result.summary())
    return 0


def export(args: argparse.Namespace) -> int:
    """Export a dataset to LLaMA-Factory, ShareGPT or TRL DPO files."""
    from training.datasets import export as exporters

    func = {"llamafactory": exporters.export_llamafactory, "sharegpt": exporters.export_sharegpt,
            "trl-dpo": exporters.export_trl_dpo}[args.format]
    report = func(Path(args.dataset), Path(args.output))
    print(report.summary())
    return 0


def stats(args: argparse.Namespace) -> int:
    """Counts per kind, domain, category and source, from the dataset card."""
    from training.datasets.store import read_card

    card = read_card(Path(args.dataset))
    print(f"{card.name}: {card.total:,} records, created {card.created}, sha256 {card.content_sha256[:12]}")
    for title, counts in (("kind", card.counts_by_kind), ("domain", card.counts_by_domain),
                          ("source", card.counts_by_source), ("category", card.counts_by_category)):
        print(f"by {title}:")
        for key, count in sorted(counts.items(), key=lambda item: -item[1])[: args.top]:
            print(f"  {key:40s} {count:8,d}")
    return 0


def from_sessions(args: argparse.Namespace) -> int:
    """Samples from recorded Live sessions and podcast episodes (interrupted answers left out)."""
    from training.datasets.from_sessions import collect_candidates, save_reviewed

    review = collect_candidates([Path(p) for p in args.folders])
    for reason in review.skipped:
        print(f"  left out: {reason}", file=sys.stderr)
    if not review.candidates:
        raise NexusError(
            f"No answered Live turn or listener question was found in {', '.join(args.folders)}, "
            "so no dataset was written.",
            "Record a Live session (nexus-cli live --record) or ask the hosts a question while an episode plays, "
            "then run this again.",
        )
    out = Path(args.output)
    card = save_reviewed(review, out)
    review.save(out / "review.json")
    print(f"{card.total} of {len(review.candidates)} candidates saved in {out}; edit review.json in the app to change them")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` and its actions."""
    parser = subparsers.add_parser("data", help="build, check, mix and export training datasets")
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION", required=True)

    p = actions.add_parser("generate", help="synthetic samples or preference pairs")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--categories", help="comma-separated category names (default: all, or --group)")
    p.add_argument("--group", choices=("base", "fullstack", "recommended"))
    p.add_argument("--per-category", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pairs", action="store_true", help="preference pairs instead of SFT samples")
    p.add_argument("--mode", choices=("censored", "uncensored"), default="censored")
    p.set_defaults(func=_reporting(generate))
    p = actions.add_parser("categories", help="list the generator categories")
    p.set_defaults(func=_reporting(categories))
    p = actions.add_parser("load", help="build a dataset from a hub recipe")
    p.add_argument("recipe")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--total", type=int)
    p.set_defaults(func=_reporting(load))
    p = actions.add_parser("import", help="normalise data files into a dataset")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-o", "--output", required=True, metavar="OUT")
    p.add_argument("--domain", default="imported")
    p.add_argument("--category", default="imported")
    p.add_argument("--source")
    p.set_defaults(func=_reporting(import_))
    p = actions.add_parser("validate", help="check a dataset and keep the good rows")
    p.add_argument("dataset")
    p.add_argument("-o", "--output", metavar="CLEAN")
    p.set_defaults(func=_reporting(validate))
    p = actions.add_parser("mix", help="mix datasets into train/val/test")
    p.add_argument("datasets", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--real-fraction", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--total", type=int)
    p.set_defaults(func=_reporting(mix))
    p = actions.add_parser("export", help="write LLaMA-Factory, ShareGPT or TRL DPO files")
    p.add_argument("dataset")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--format", choices=("llamafactory", "sharegpt", "trl-dpo"), default="llamafactory")
    p.set_defaults(func=_reporting(export))
    p = actions.add_parser("stats", help="counts per kind, domain, category, source")
    p.add_argument("dataset")
    p.add_argument("--top", type=int, default=30)
    p.set_defaults(func=_reporting(stats))
    p = actions.add_parser("from-sessions", help="samples from recorded Live sessions and podcast episodes")
    p.add_argument("folders", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=_reporting(from_sessions))
