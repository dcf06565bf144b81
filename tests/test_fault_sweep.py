"""Every ``nexus-cli`` command against a table of bad inputs and faults, run as a subprocess.

Each row feeds one command something broken — an empty, truncated, binary or
wrongly encoded file, the wrong kind of model, a full disk (a small tmpfs), a
read-only folder, a process killed with SIGKILL mid-write — and checks what a
person sees: a non-zero exit, a short "error:" sentence with a "hint:" (no
traceback), nothing left behind that looks finished, and earlier files intact.

Full disks and read-only folders are tmpfs mounts when the tests run as root;
otherwise read-only folders are made with permissions and the full-disk rows
are skipped with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pymupdf
import pytest
import soundfile as sf

from tests.conftest import needs_display
from tests.speech_fixtures import load_voice, piper_voice_onnx, whisper_tiny_dir

ROOT = Path(__file__).resolve().parents[1]
MAX_ERROR_CHARS = 400


# ---------------------------------------------------------------- running and judging


def cli(*argv: str, env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``nexus-cli ARGV`` in a fresh interpreter (the NEXUS_*_DIR folders of the test are inherited)."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *argv], cwd=ROOT, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *needles: str, hint: bool = True) -> None:
    """A non-zero exit with one short "error:" sentence (and a "hint:"), and no traceback anywhere."""
    shown = f"exit {result.returncode}\nstdout: {result.stdout[-1500:]}\nstderr: {result.stderr[-3000:]}"
    assert result.returncode != 0, shown
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, shown
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors, shown
    assert len(errors[0]) <= MAX_ERROR_CHARS, shown
    if hint:
        assert any(line.startswith("hint: ") for line in result.stderr.splitlines()), shown
    for needle in needles:
        assert needle.lower() in result.stderr.lower(), (needle, shown)


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``folder`` (to prove earlier files are intact)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def looks_finished(folder: Path) -> list[Path]:
    """Files under ``folder`` that a reader would take for finished output."""
    names = {"dataset.json", "dataset_info.json", "job.yaml", "review.json", "mix_report.json"}
    return [
        path for path in folder.rglob("*")
        if path.is_file() and (path.name in names or path.suffix in (".wav", ".flac", ".jsonl"))
    ]


# ---------------------------------------------------------------- faulty places


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
                          capture_output=True)
    return done.returncode == 0


def _unmount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 320 KiB tmpfs (root only): earlier small files fit, anything real fills it."""
    where = tmp_path / "full"
    if not _mount_tmpfs(where, "320k"):
        pytest.skip("a full disk is simulated with a small tmpfs, which needs root and mount(8)")
    yield where
    _unmount(where)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Callable[[Callable[[Path], None]], Path]]:
    """Make a read-only folder after ``seed(folder)`` put earlier files in it (tmpfs remounted ro, or chmod)."""
    mounts: list[Path] = []
    locked: list[Path] = []

    def make(seed: Callable[[Path], None]) -> Path:
        where = tmp_path / f"ro{len(mounts) + len(locked)}"
        if _mount_tmpfs(where, "1g"):  # room enough for the free-space checks; it holds only the seed
            mounts.append(where)
            seed(where)
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)
        elif os.geteuid() != 0:
            where.mkdir(parents=True)
            seed(where)
            for path in [where, *where.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o555)
                    locked.append(path)
        else:
            pytest.skip("as root a read-only folder needs a tmpfs mount, which is not permitted here")
        return where

    yield make
    for path in locked:
        path.chmod(0o755)
    for where in mounts:
        _unmount(where)


# ---------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """Broken and good inputs shared by the rows (built once per module)."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return str(self.files[name])


def _pdf_bytes() -> bytes:
    doc = pymupdf.open()
    for number in range(8):
        page = doc.new_page()
        page.insert_text((72, 90), f"Chapter {number + 1}", fontsize=20)
        page.insert_text((72, 130), "\n".join(f"line {i} of the river and the stone mill" for i in range(30)))
    doc.set_toc([[1, f"Chapter {n + 1}", n + 1] for n in range(8)])
    data = doc.tobytes()
    doc.close()
    return data


def _tiny_dataset(root: Path) -> Path:
    result = cli("data", "generate", str(root), "--categories", "basic_arithmetic", "--per-category", "6")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Inputs:
    root = tmp_path_factory.mktemp("bad-inputs")
    rng = np.random.default_rng(3)
    made = Inputs(root)

    def put(name: str, data: bytes) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        made.files[name] = path
        return path

    binary = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    for name in ("empty.wav", "empty.txt", "empty.jsonl", "empty.yaml", "empty.pdf"):
        put(name, b"")
    for name in ("binary.wav", "binary.bin", "binary.pdf", "binary.docx", "binary.md", "binary.jsonl",
                 "binary.yaml", "binary.onnx", "binary.png", "binary.parquet"):
        put(name, binary)
    put("latin1.txt", "Caf\u00e9 cr\u00e8me, na\u00efve fa\u00e7ade.\n\nSecond paragraph.\n".encode("latin-1"))
    put("utf16.txt", "Hello from a UTF-16 file.\n\nA second paragraph.\n".encode("utf-16"))
    put("latin1.yaml", "name: caf\u00e9\nbase_model: m\n".encode("latin-1"))
    put("latin1.csv", "instruction,output\ncaf\u00e9,cr\u00e8me\n".encode("latin-1"))
    put("text.wav", b"this is not audio at all, just words\n" * 20)
    put("llama/config.json", json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}).encode())
    (root / "empty-folder").mkdir()
    made.files["empty-folder"] = root / "empty-folder"
    made.files["llama"] = root / "llama"
    # A WAV header that promises audio but holds none, and speech cut to its first half.
    voice = load_voice()
    speech = voice.synthesize("The river flows past the old stone mill.")
    sf.write(root / "speech.wav", speech, voice.sample_rate, subtype="PCM_16")
    made.files["speech.wav"] = root / "speech.wav"
    put("header-only.wav", (root / "speech.wav").read_bytes()[:44])
    pdf = _pdf_bytes()
    put("code7.pdf", pdf[:500])
    put("half.pdf", pdf[: len(pdf) // 2])
    put("cut.parquet", b"PAR1" + binary[:200])
    made.files["dataset"] = _tiny_dataset(root / "dataset")
    damaged = shutil.copytree(root / "dataset", root / "binary-shard")
    next(damaged.glob("text-*.jsonl")).write_bytes(binary)
    made.files["binary-shard"] = damaged
    for name, card in (("binary-card", binary), ("cut-card", (root / "dataset" / "dataset.json").read_bytes()[:40])):
        copy = shutil.copytree(root / "dataset", root / name)
        (copy / "dataset.json").write_bytes(card)
        made.files[name] = copy
    # Live sessions: one with a binary transcript, one with a line cut in half; an episodes folder with a
    # damaged episode and an empty one (what `data from-sessions DATA/episodes` meets).
    put("sessions/binary/transcript.jsonl", binary)
    put("sessions/cut/transcript.jsonl", b'{"turn": 1, "user": "hi", "assistant": "hel')
    put("episodes/broken/episode.json", binary)
    (root / "episodes" / "empty").mkdir(parents=True)
    made.files["episodes"] = root / "episodes"
    made.files["sessions/binary"] = root / "sessions" / "binary"
    made.files["sessions/cut"] = root / "sessions" / "cut"
    return made


# ---------------------------------------------------------------- the table

Row = tuple[str, Callable[[Inputs, Path], list[str]], tuple[str, ...]]

ROWS: list[Row] = [
    # models verify
    ("models-verify/folder-not-a-key", lambda i, t: ["models", "verify", i["llama"]], ("models list",)),
    ("models-verify/not-downloaded", lambda i, t: ["models", "verify", "whisper-tiny.en"], ("models download",)),
    # ask: inputs are read before any model loads
    ("ask/binary-image", lambda i, t: ["ask", "--model", i["llama"], "--image", i["binary.png"], "hi"], ("image",)),
    ("ask/empty-audio", lambda i, t: ["ask", "--model", i["llama"], "--audio", i["empty.wav"], "hi"], ("audio",)),
    ("ask/text-as-audio", lambda i, t: ["ask", "--model", i["llama"], "--audio", i["text.wav"], "hi"], ("audio",)),
    # transcribe
    ("transcribe/empty", lambda i, t: ["transcribe", i["empty.wav"]], ("decode",)),
    ("transcribe/binary", lambda i, t: ["transcribe", i["binary.wav"]], ("decode",)),
    ("transcribe/text-file", lambda i, t: ["transcribe", i["text.wav"]], ("decode",)),
    ("transcribe/header-only", lambda i, t: ["transcribe", i["header-only.wav"]], ("no audio",)),
    ("transcribe/missing", lambda i, t: ["transcribe", str(t / "nope.wav")], ("does not exist",)),
    ("transcribe/llama-as-whisper", lambda i, t: ["transcribe", i["speech.wav"], "--model", i["llama"]], ()),
    ("transcribe/binary-as-whisper", lambda i, t: ["transcribe", i["speech.wav"], "--model", i["binary.bin"]], ()),
    # vad
    ("vad/empty", lambda i, t: ["vad", i["empty.wav"]], ("decode",)),
    ("vad/binary", lambda i, t: ["vad", i["binary.wav"]], ("decode",)),
    ("vad/header-only", lambda i, t: ["vad", i["header-only.wav"]], ("no audio",)),
    # speak
    ("speak/out-is-a-folder", lambda i, t: ["speak", "hi", "-o", str(t), "--voice", str(piper_voice_onnx())], ("folder",)),
    ("speak/out-is-mp3", lambda i, t: ["speak", "hi", "-o", str(t / "a.mp3"), "--voice", str(piper_voice_onnx())],
     (".wav",)),
    ("speak/binary-voice", lambda i, t: ["speak", "hi", "-o", str(t / "a.wav"), "--voice", i["binary.onnx"]], ()),
    ("speak/llama-as-voice", lambda i, t: ["speak", "hi", "-o", str(t / "a.wav"), "--voice", i["llama"]], ()),
    ("speak/whisper-as-voice", lambda i, t: ["speak", "hi", "-o", str(t / "a.wav"), "--voice", "whisper-tiny.en"], ()),
    # podcast ingest
    ("ingest/empty", lambda i, t: ["podcast", "ingest", i["empty.txt"]], ("empty",)),
    ("ingest/empty-pdf", lambda i, t: ["podcast", "ingest", i["empty.pdf"]], ("empty",)),
    ("ingest/binary-pdf", lambda i, t: ["podcast", "ingest", i["binary.pdf"]], ("pdf",)),
    ("ingest/pdf-cut-to-500-bytes", lambda i, t: ["podcast", "ingest", i["code7.pdf"]], ("damaged",)),
    ("ingest/binary-docx", lambda i, t: ["podcast", "ingest", i["binary.docx"]], ("word",)),
    ("ingest/binary-markdown", lambda i, t: ["podcast", "ingest", i["binary.md"]], ("binary",)),
    ("ingest/unsupported-kind", lambda i, t: ["podcast", "ingest", i["binary.bin"]], ("not supported",)),
    ("ingest/a-folder", lambda i, t: ["podcast", "ingest", i["empty-folder"]], ("folder",)),
    # data
    ("data-generate/bad-category", lambda i, t: ["data", "generate", str(t / "out"), "--categories", "nope"],
     ("unknown",)),
    ("data-generate/onto-a-dataset", lambda i, t: ["data", "generate", i["dataset"], "--per-category", "1"],
     ("already holds",)),
    ("data-validate/binary-file", lambda i, t: ["data", "validate", i["binary.bin"]], ("dataset",)),
    ("data-validate/binary-card", lambda i, t: ["data", "validate", i["binary-card"]], ("damaged",)),
    ("data-mix/binary-file", lambda i, t: ["data", "mix", i["binary.bin"], "-o", str(t / "mix")], ("shards",)),
    ("data-mix/binary-shard", lambda i, t: ["data", "mix", i["binary-shard"], "-o", str(t / "mix")], ()),
    ("data-mix/impossible-fraction",
     lambda i, t: ["data", "mix", i["dataset"], "-o", str(t / "mix"), "--real-fraction", "7"], ()),
    ("data-export/binary-card", lambda i, t: ["data", "export", i["binary-card"], "-o", str(t / "ex")], ("damaged",)),
    ("data-export/binary-shard", lambda i, t: ["data", "export", i["binary-shard"], "-o", str(t / "ex")],
     ("not utf-8",)),
    ("data-stats/binary-card", lambda i, t: ["data", "stats", i["binary-card"]], ("damaged",)),
    ("data-stats/truncated-card", lambda i, t: ["data", "stats", i["cut-card"]], ("not a valid",)),
    ("data-stats/empty-folder", lambda i, t: ["data", "stats", i["empty-folder"]], ("not a dataset",)),
    ("data-import/empty", lambda i, t: ["data", "import", i["empty.jsonl"], "-o", str(t / "imp")], ("no row",)),
    ("data-import/binary", lambda i, t: ["data", "import", i["binary.jsonl"], "-o", str(t / "imp")], ("no row",)),
    ("data-import/truncated-parquet", lambda i, t: ["data", "import", i["cut.parquet"], "-o", str(t / "imp")],
     ("no row",)),
    ("data-from-sessions/episodes-folder",
     lambda i, t: ["data", "from-sessions", i["episodes"], "-o", str(t / "fs")], ("no answered",)),
    ("data-from-sessions/binary-file", lambda i, t: ["data", "from-sessions", i["binary.bin"], "-o", str(t / "fs")],
     ("neither",)),
    ("data-from-sessions/binary-transcript",
     lambda i, t: ["data", "from-sessions", i["sessions/binary"], "-o", str(t / "fs")], ("damaged",)),
    ("data-from-sessions/cut-transcript",
     lambda i, t: ["data", "from-sessions", i["sessions/cut"], "-o", str(t / "fs")], ("damaged",)),
    # train
    ("train-run/binary-yaml", lambda i, t: ["train", "run", i["binary.yaml"]], ("not a yaml",)),
    ("train-run/empty-yaml", lambda i, t: ["train", "run", i["empty.yaml"]], ("mapping",)),
    ("train-run/latin1-yaml", lambda i, t: ["train", "run", i["latin1.yaml"]], ("utf-8",)),
    ("train-run/a-folder", lambda i, t: ["train", "run", i["empty-folder"]], ("folder",)),
    ("train-status/unknown-job", lambda i, t: ["train", "status", "no-such-job"], ("no single job",)),
]


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_refused_with_one_sentence(row: Row, inputs: Inputs, tmp_path: Path) -> None:
    _name, argv, needles = row
    before = tree_digest(inputs.root)
    out = tmp_path / "out-folder"
    out.mkdir()
    assert_refused(cli(*argv(inputs, out)), *needles)
    assert not looks_finished(out), list(out.rglob("*"))
    assert tree_digest(inputs.root) == before, "an input was changed"


# ---------------------------------------------------------------- rows that need more than a table line


def test_models_verify_names_a_truncated_file_and_how_to_repair_it(nexus_dirs: dict[str, Path]) -> None:
    folder = nexus_dirs["cache"] / "models" / "Systran--faster-whisper-tiny.en"
    folder.mkdir(parents=True)
    files = {"config.json": b"{}", "model.bin": bytes(range(256)) * 64}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    manifest = {
        "format": 1, "repo_id": "Systran/faster-whisper-tiny.en",
        "files": {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in files.items()},
        "keys": {"whisper-tiny.en": {"files": list(files), "completed": "2026-01-01T00:00:00+00:00"}},
    }
    (folder / ".nexus-manifest.json").write_text(json.dumps(manifest))
    (folder / "model.bin").write_bytes(files["model.bin"][:1000])
    result = cli("models", "verify", "whisper-tiny.en")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "wrong size: model.bin" in result.stdout and "models download whisper-tiny.en" in result.stderr

    (folder / ".nexus-manifest.json").write_bytes(b"\x00\xff" * 100)  # a damaged manifest: nothing to verify
    assert_refused(cli("models", "verify", "whisper-tiny.en"), "not been downloaded")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["llama", "binary.bin", "empty-folder"])
def test_ask_and_engine_info_refuse_the_wrong_kind_of_model(model: str, inputs: Inputs) -> None:
    assert_refused(cli("ask", "--model", inputs[model], "--device", "cpu", "hi"))
    assert_refused(cli("engine", "info", "--model", inputs[model], "--device", "cpu"))


def test_text_in_other_encodings_is_read_and_a_half_pdf_is_read_with_a_warning(inputs: Inputs) -> None:
    result = cli("podcast", "ingest", inputs["latin1.txt"], inputs["utf16.txt"], inputs["half.pdf"])
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "Café crème" in result.stdout and "Hello from a UTF-16 file." in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "half.pdf is damaged or incomplete" in warnings[0], result.stderr
    assert "gave no text" in warnings[0] and "download or export it again" in warnings[0]


def test_a_pdf_with_corrupted_streams_is_read_with_a_warning_and_an_intact_one_without(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for number in range(6):
        page = doc.new_page()
        page.insert_text((72, 90), f"Chapter {number + 1}", fontsize=20)
        page.insert_text((72, 130), "\n".join(f"line {i} of chapter {number + 1} about the mill" for i in range(30)))
    intact = doc.tobytes(deflate=True)
    doc.close()
    damaged = bytearray(intact)
    streams = [index for index in range(len(intact)) if intact.startswith(b"stream\n", index)]
    for start in streams[2:5]:  # the content of two pages in the middle
        for offset in range(start + 20, start + 60):
            damaged[offset] ^= 0x5A
    (tmp_path / "intact.pdf").write_bytes(intact)
    (tmp_path / "damaged.pdf").write_bytes(bytes(damaged))
    result = cli("podcast", "ingest", str(tmp_path / "intact.pdf"), str(tmp_path / "damaged.pdf"))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and warnings[0].startswith("warning: damaged.pdf is damaged or incomplete"), warnings
    assert "gave no text" in warnings[0] and result.stdout.count("sections,") == 2


def test_a_windows_1252_csv_is_imported_with_its_accents(inputs: Inputs, tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = cli("data", "import", inputs["latin1.csv"], "-o", str(out))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    row = json.loads(next(out.glob("text-*.jsonl")).read_text(encoding="utf-8"))
    assert [m["content"] for m in row["messages"]] == ["caf\u00e9", "cr\u00e8me"]


def test_speak_on_a_full_disk_leaves_no_wav_and_keeps_the_earlier_one(full_disk: Path) -> None:
    earlier = full_disk / "earlier.wav"
    earlier.write_bytes(b"RIFF" + bytes(1000))
    filler = full_disk / "filler.bin"
    filler.write_bytes(bytes(250_000))  # what is left is less than the sentence's audio
    target = full_disk / "speech.wav"
    sentence = "This sentence is long enough that its audio cannot fit in what is left of this small disk at all."
    assert_refused(cli("speak", sentence, "-o", str(target), "--voice", str(piper_voice_onnx())), "disk is full")
    assert not target.exists() and earlier.read_bytes() == b"RIFF" + bytes(1000)
    assert sorted(path.name for path in full_disk.iterdir()) == ["earlier.wav", "filler.bin"]


def test_speak_into_a_read_only_folder_is_refused(read_only: Callable[[Callable[[Path], None]], Path]) -> None:
    folder = read_only(lambda where: (where / "earlier.wav").write_bytes(b"RIFF" + bytes(100)))
    assert_refused(cli("speak", "hi", "-o", str(folder / "new.wav"), "--voice", str(piper_voice_onnx())),
                   str(folder / "new.wav"))
    assert sorted(path.name for path in folder.iterdir()) == ["earlier.wav"]


def test_data_generate_on_a_full_disk_leaves_nothing_and_keeps_the_earlier_dataset(full_disk: Path) -> None:
    earlier = _tiny_dataset(full_disk / "earlier")
    digest = tree_digest(earlier)
    target = full_disk / "big"
    assert_refused(cli("data", "generate", str(target), "--group", "base", "--per-category", "50"), "disk is full")
    assert not target.exists()
    assert tree_digest(earlier) == digest
    assert cli("data", "stats", str(earlier)).returncode == 0


@pytest.mark.parametrize("action", ["generate", "validate", "mix", "export", "import"])
def test_data_writers_refuse_a_read_only_output_folder(
    action: str, inputs: Inputs, read_only: Callable[[Callable[[Path], None]], Path]
) -> None:
    folder = read_only(lambda where: shutil.copytree(inputs.files["dataset"], where / "earlier"))
    digest = tree_digest(folder)
    out = folder / "new"
    argv = {
        "generate": ["data", "generate", str(out), "--per-category", "1"],
        "validate": ["data", "validate", inputs["dataset"], "-o", str(out)],
        "mix": ["data", "mix", inputs["dataset"], "-o", str(out), "--real-fraction", "0"],
        "export": ["data", "export", inputs["dataset"], "-o", str(out)],
        "import": ["data", "import", str(_good_jsonl(inputs.root)), "-o", str(out)],
    }[action]
    assert_refused(cli(*argv), "read-only")
    assert not out.exists() and tree_digest(folder) == digest


@pytest.mark.parametrize("action", ["validate", "mix", "export", "import"])
def test_data_writers_on_a_full_disk_leave_nothing_that_looks_finished(
    action: str, inputs: Inputs, full_disk: Path
) -> None:
    earlier = full_disk / "earlier.txt"
    earlier.write_text("kept")
    source = inputs.root / "bigger"
    if not source.exists():
        assert cli("data", "generate", str(source), "--group", "base", "--per-category", "20").returncode == 0
    out = full_disk / "new"
    argv = {
        "validate": ["data", "validate", str(source), "-o", str(out)],
        "mix": ["data", "mix", str(source), "-o", str(out), "--real-fraction", "0"],
        "export": ["data", "export", str(source), "-o", str(out)],
        "import": ["data", "import", str(_good_jsonl(inputs.root, rows=4000)), "-o", str(out)],
    }[action]
    assert_refused(cli(*argv), "disk is full")
    assert not (out.exists() and looks_finished(out)), list(out.rglob("*"))
    assert earlier.read_text() == "kept"


def _good_jsonl(root: Path, rows: int = 3) -> Path:
    path = root / f"good-{rows}.jsonl"
    if not path.exists():
        lines = (json.dumps({"instruction": f"Question {n} about rivers and stone mills?",
                             "output": f"Answer {n}: " + "water turns the wheel. " * 8}) for n in range(rows))
        path.write_text("\n".join(lines) + "\n")
    return path


def _valid_job(inputs: Inputs, tiny_thinker_dir: Path) -> Path:
    from tests.train_fixtures import tiny_pairs_dataset

    data = inputs.root / "pairs"
    if not data.exists():
        tiny_pairs_dataset(data)
    spec = inputs.root / "job.yaml"
    spec.write_text(f"name: sweep\nmethod: dpo\nbase_model: {tiny_thinker_dir}\ndatasets: [{data}]\n"
                    "max_steps: 2\ndevice: cpu\neval_split: null\n")
    return spec


def test_train_run_with_the_wrong_kind_of_model_is_refused_before_it_starts(inputs: Inputs, tmp_path: Path) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(f"name: wrong\nbase_model: {inputs['llama']}\ndatasets: [{inputs['dataset']}]\ndevice: cpu\n")
    assert_refused(cli("train", "run", str(spec)), "was not started", "'llama' model")
    assert cli("train", "status").stdout.strip() == "no jobs"


def test_train_run_refuses_a_read_only_data_folder_before_the_job_starts(
    inputs: Inputs, tiny_thinker_dir: Path, read_only: Callable[[Callable[[Path], None]], Path]
) -> None:
    data = read_only(lambda where: (where / "jobs").mkdir())
    spec = _valid_job(inputs, tiny_thinker_dir)
    result = cli("train", "run", str(spec), env={"NEXUS_DATA_DIR": str(data)})
    assert_refused(result, "job was not started", "read-only")
    assert list((data / "jobs").iterdir()) == []
    status = cli("train", "status", env={"NEXUS_DATA_DIR": str(data)})
    assert status.returncode == 0 and status.stdout.strip() == "no jobs"


def test_train_run_refuses_a_full_data_folder_before_the_job_starts(
    inputs: Inputs, tiny_thinker_dir: Path, full_disk: Path
) -> None:
    spec = _valid_job(inputs, tiny_thinker_dir)
    assert_refused(cli("train", "run", str(spec), env={"NEXUS_DATA_DIR": str(full_disk)}), "free")
    assert not looks_finished(full_disk)


def test_train_status_names_a_damaged_job_spec(nexus_dirs: dict[str, Path]) -> None:
    job = nexus_dirs["data"] / "jobs" / "20260101-000000-broken"
    job.mkdir(parents=True)
    (job / "job.yaml").write_bytes(b"\xff\xfe\x00binary" * 50)
    assert_refused(cli("train", "status"), str(job / "job.yaml"), "delete that job's folder")


@pytest.mark.slow
@needs_display
def test_live_text_only_ends_with_its_input(tiny_thinker_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cli", "live", "--no-gui", "--screen", "--text-only", "--mute",
         "--model", str(tiny_thinker_dir), "--device", "cpu"],
        input="Hello there?\nAnd again?\n", cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
        timeout=240,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    asked = [line for line in result.stdout.splitlines() if line.startswith("  you: ")]
    answered = [line for line in result.stdout.splitlines() if line.startswith("nexus: ")]
    assert asked == ["  you: Hello there?", "  you: And again?"] and len(answered) == 2, result.stdout


# ---------------------------------------------------------------- kill -9 mid-write


def _kill_when(command: list[str], ready: Callable[[], bool], timeout_s: float = 120) -> None:
    process = subprocess.Popen([sys.executable, "-m", "cli", *command], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None and not ready():
        time.sleep(0.02)
    assert process.poll() is None, "the command finished before it could be killed; give it more work"
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.slow
def test_kill_9_mid_import_and_mid_export_leave_nothing_that_looks_finished(inputs: Inputs, tmp_path: Path) -> None:
    big = _good_jsonl(inputs.root, rows=300_000)
    imported = tmp_path / "imported"
    _kill_when(["data", "import", str(big), "-o", str(imported)], lambda: any(imported.glob("*.jsonl.partial")))
    assert not (imported / "dataset.json").exists()
    assert_refused(cli("data", "stats", str(imported)), "unfinished")
    rerun = cli("data", "import", str(_good_jsonl(inputs.root)), "-o", str(imported))
    assert rerun.returncode == 0, rerun.stderr

    source = inputs.root / "export-source"
    if not source.exists():
        assert cli("data", "import", str(big), "-o", str(source)).returncode == 0
    exported = tmp_path / "exported"
    _kill_when(["data", "export", str(source), "-o", str(exported)], lambda: any(exported.glob("*.partial")))
    assert not (exported / "dataset_info.json").exists()
    assert not [path for path in exported.glob("*.jsonl")], "a killed export left a finished-looking file"


# ---------------------------------------------------------------- the last resort in cli/main.py


@pytest.mark.parametrize(
    ("fault", "needles"),
    [
        (OSError(28, "No space left on device"), ("disk is full", "free some space")),
        (OSError(30, "Read-only file system", "/media/stick/out.wav"), ("/media/stick/out.wav", "read-only")),
        (PermissionError(13, "Permission denied", "/srv/data"), ("permission denied for /srv/data",)),
        (RuntimeError("the unexpected happened"), ("failed unexpectedly", "the unexpected happened", "nexus.log")),
    ],
)
def test_a_fault_no_command_caught_is_one_sentence_and_the_traceback_goes_to_the_log(
    fault: Exception, needles: tuple[str, ...], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    from cli import media_cmd
    from cli.main import main

    def failing(_args: object) -> int:
        raise fault

    monkeypatch.setattr(media_cmd, "devices", failing)  # a command with no error handling of its own
    assert main(["devices"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ") and "\nhint: " in err
    for needle in needles:
        assert needle in err.lower() or needle in err, (needle, err)
    # The traceback is logged (to the log file, whose handler the first command of a process installs).
    logged = [record for record in caplog.records if record.name == "nexus.cli" and record.exc_info]
    assert logged and logged[-1].exc_info[1] is fault


def test_a_log_folder_that_cannot_be_written_does_not_stop_a_command(
    read_only: Callable[[Callable[[Path], None]], Path], tmp_path: Path
) -> None:
    logs = read_only(lambda where: None)
    result = cli("data", "generate", str(tmp_path / "set"), "--categories", "basic_arithmetic",
                 "--per-category", "2", env={"NEXUS_LOG_DIR": str(logs / "log")})
    assert result.returncode == 0 and "Traceback" not in result.stderr and "Logging error" not in result.stderr
