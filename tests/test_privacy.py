"""Private by default: nothing reaches the network unasked, and user files are the user's alone.

The network test runs real commands — a Live turn spoken by Piper, a podcast
episode synthesised by Piper, a fine-tune job in its own process — inside a
fresh network namespace (only loopback) under ``strace``, which records every
``connect``/``sendto`` of every thread and child process, C++ libraries
included (onnxruntime's telemetry is C++). Any attempt at an address outside
127.0.0.0/8 and ::1 fails the test, DNS look-ups included (they go to the
resolver's address).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import needs_display, needs_pulse
from tests.speech_fixtures import piper_voice_onnx
from tests.train_fixtures import tiny_multimodal_dataset

ROOT = Path(__file__).resolve().parents[1]
_INET = re.compile(
    r'(connect|sendto|sendmsg)\(\d+,.*?\{sa_family=AF_INET6?, [^}]*?'
    r'(inet_addr\("(?P<v4>[\d.]+)"\)|inet_pton\(AF_INET6, "(?P<v6>[^"]+)")'
)


def can_isolate() -> bool:
    """Whether this machine can run a command in a fresh network namespace under strace."""
    if not (shutil.which("unshare") and shutil.which("strace")):
        return False
    probe = subprocess.run(["unshare", "-n", "strace", "-qq", "-e", "trace=none", "true"], capture_output=True)
    return probe.returncode == 0


needs_isolation = pytest.mark.skipif(not can_isolate(), reason="needs unshare -n and strace (root; scripts/test installs strace)")


def network_attempts(trace: Path) -> list[str]:
    """Lines of an strace log that try to reach an address other than loopback."""
    hits = []
    for line in trace.read_text(errors="replace").splitlines():
        match = _INET.search(line)
        if not match:
            continue
        address = match.group("v4") or match.group("v6") or ""
        if address.startswith("127.") or address in ("::1", "0.0.0.0"):
            continue
        hits.append(line)
    return hits


def run_isolated(args: list[str], trace: Path, stdin: bytes = b"", timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
    """``nexus-cli ARGS`` in a new network namespace (loopback up) under strace; the trace goes to ``trace``.

    The user cache folder is the trace's folder's ``xdg-cache``, so what libraries write there can be checked.
    """
    command = (
        "ip link set lo up 2>/dev/null; "
        f"exec strace -f -qq -e trace=execve,connect,sendto,sendmsg -o {trace} "
        + " ".join([sys.executable, "-m", "cli", *[f"'{a}'" for a in args]])
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", GPTQMODEL_CPU_WORKERS="2", OMP_NUM_THREADS="2",
               XDG_CACHE_HOME=str(trace.parent / "xdg-cache"))
    env.pop("ORT_DISABLE_TELEMETRY", None)  # Nexus must set it itself
    return subprocess.run(["unshare", "-n", "sh", "-c", command], input=stdin, cwd=ROOT, env=env,
                          capture_output=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.devices
@needs_isolation
@needs_pulse
@needs_display
def test_a_live_turn_an_episode_and_a_job_never_reach_the_network(
    tmp_path: Path, tiny_thinker_dir: Path, nexus_dirs: dict[str, Path]
) -> None:
    voice = str(piper_voice_onnx())
    # A Live turn answered by the thinker and spoken by Piper; the session stays up 8 s after the
    # answer, longer than onnxruntime waits before it sends its telemetry.
    live = run_isolated(["live", "--no-gui", "--screen", "--text-only", "--record", "--voice", voice,
                         "--model", str(tiny_thinker_dir), "--device", "cpu", "--wait-after-input", "8"],
                        tmp_path / "live.trace", stdin=b"What is on my screen?\n")
    assert live.returncode == 0, live.stderr.decode()[-2000:]
    assert b"(speaking)" in live.stderr, "Piper spoke the answer"

    doc = tmp_path / "notes.md"
    doc.write_text("# Solar power\n\nSolar panels turn sunlight into electricity. " * 20, encoding="utf-8")
    episode = run_isolated(["podcast", "make", str(doc), "--format", "brief", "--length", "short",
                            "-o", str(tmp_path / "ep"), "--voice-a", voice, "--voice-b", voice, "--scripted-hosts"],
                           tmp_path / "podcast.trace")
    assert episode.returncode == 0, episode.stderr.decode()[-2000:]

    data = tiny_multimodal_dataset(tmp_path / "data", count=4)
    job = tmp_path / "job.yaml"
    job.write_text(yaml.safe_dump({
        "name": "private", "base_model": str(tiny_thinker_dir), "datasets": [str(data)], "eval_split": None,
        "max_steps": 2, "batch_size": 2, "save_every": 2, "device": "cpu", "learning_rate": 5e-3,
    }))
    train = run_isolated(["train", "run", str(job)], tmp_path / "train.trace")
    assert train.returncode == 0, (train.stdout.decode()[-2000:], train.stderr.decode()[-2000:])

    for name in ("live", "podcast", "train"):
        trace = tmp_path / f"{name}.trace"
        assert "execve(" in trace.read_text(errors="replace"), f"strace did not follow {name}"
        assert network_attempts(trace) == [], f"{name} tried to reach the network"
    assert not (tmp_path / "xdg-cache" / "Microsoft").exists(), "onnxruntime kept a device id and event database"


def test_the_trace_parser_flags_outside_addresses_and_lookups(tmp_path: Path) -> None:
    trace = tmp_path / "t.log"
    trace.write_text(
        '1 connect(3, {sa_family=AF_UNIX, sun_path="/tmp/pulse/native"}, 110) = 0\n'
        '1 connect(4, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0\n'
        '2 connect(5, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = -1\n'
        '2 sendto(6, "x", 1, 0, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = -1\n'
        '3 sendmsg(7, {msg_name={sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("20.42.65.92")}, '
        'msg_namelen=16}, 0) = -1\n'
    )
    hits = network_attempts(trace)
    assert len(hits) == 3 and "10.255.255.53" in hits[0] and "2001:db8::1" in hits[1] and "20.42" in hits[2]


# ---- private files ---------------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_files_the_cli_writes_are_private(tmp_path: Path, nexus_dirs: dict[str, Path]) -> None:
    out = tmp_path / "hello.wav"
    result = subprocess.run([sys.executable, "-m", "cli", "speak", "Hello there.", "-o", str(out),
                             "--voice", str(piper_voice_onnx())], cwd=ROOT, capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    generated = subprocess.run([sys.executable, "-m", "cli", "data", "generate", str(tmp_path / "set"),
                                "--per-category", "4", "--categories", "basic_arithmetic"],
                               cwd=ROOT, capture_output=True, timeout=300)
    assert generated.returncode == 0, generated.stderr.decode()[-2000:]
    written = [out, nexus_dirs["log"] / "nexus.log", *(tmp_path / "set").rglob("*")]
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = 0o700 if path.is_dir() else 0o600
        assert mode == expected, f"{path} is {oct(mode)}"
