"""Training samples from what the user already did: recorded Live sessions and podcast interactions.

``collect_candidates`` reads session folders (``transcript.jsonl`` with the
frame and utterance of each turn) and episode folders (the listener's
questions and the hosts' answers) into candidates the user reviews: each can
be edited or dropped, and the review is saved next to the data so it
survives a restart. ``save_reviewed`` writes the kept ones as schema samples,
copying their media into the dataset's ``media/`` tree.

A Live answer that was interrupted is dropped by default: it holds only the
words the user heard, not a whole answer.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.atomic import write_text_atomic
from training.datasets.schema import MediaRef, Message, Modalities, Sample
from training.datasets.store import DatasetCard, DatasetError, DatasetWriter

LIVE_SOURCE = "nexus-live-session"
PODCAST_SOURCE = "nexus-podcast-interaction"


class SessionFolderError(DatasetError, ValueError):
    """A folder given as a session or an episode is neither, or is damaged (a ValueError, as before)."""


@dataclass
class Candidate:
    """One reviewable sample: what the user said or showed, and the answer."""

    id: str
    origin: str
    user: str
    assistant: str
    image: str | None = None
    audio: str | None = None
    keep: bool = True
    note: str = ""

    def media(self) -> list[str]:
        """Absolute paths of the candidate's media files."""
        return [path for path in (self.image, self.audio) if path]


@dataclass
class Review:
    """The candidates of one review, saved as JSON so edits are never lost."""

    candidates: list[Candidate] = field(default_factory=list)
    # Damaged sessions or episodes found inside a folder of them, left out (one sentence each).
    skipped: list[str] = field(default_factory=list)

    def edit(self, candidate_id: str, *, user: str | None = None, assistant: str | None = None,
             keep: bool | None = None) -> Candidate:
        """Change a candidate's text or whether it is kept."""
        candidate = next(c for c in self.candidates if c.id == candidate_id)
        if user is not None:
            candidate.user = user
        if assistant is not None:
            candidate.assistant = assistant
        if keep is not None:
            candidate.keep = keep
        return candidate

    def save(self, path: Path) -> None:
        """Write the review atomically."""
        write_text_atomic(path, json.dumps([asdict(c) for c in self.candidates], ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, path: Path) -> "Review":
        """Read a saved review."""
        return cls([Candidate(**item) for item in json.loads(Path(path).read_text(encoding="utf-8"))])


def live_candidates(session: Path) -> list[Candidate]:
    """One candidate per answered turn of a recorded Live session (DatasetError for a damaged transcript)."""
    session = Path(session)
    out: list[Candidate] = []
    transcript = session / "transcript.jsonl"
    try:
        lines = transcript.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise SessionFolderError(f"{transcript} is damaged: it is not UTF-8 text.", _DAMAGED_SESSION) from None
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise SessionFolderError(f"{transcript} line {number + 1} is damaged ({exc}).", _DAMAGED_SESSION) from exc
        answer = str(entry.get("assistant") or "").strip()
        user = str(entry.get("user") or "").strip()
        if not answer or (not user and not entry.get("audio")):
            continue
        frame = session / str(entry["frame"]) if entry.get("frame") else None
        audio = session / str(entry["audio"]) if entry.get("audio") else None
        interrupted = bool(entry.get("interrupted"))
        out.append(Candidate(
            f"live-{session.name}-{entry.get('turn', number)}", f"Live {session.name}", user, answer,
            str(frame) if frame and frame.is_file() else None, str(audio) if audio and audio.is_file() else None,
            keep=not interrupted, note="interrupted: only the heard part" if interrupted else "",
        ))
    return out


_DAMAGED_SESSION = "Leave that session out, or delete its folder."
_WHAT_TO_PASS = ("Pass recorded Live session folders (with transcript.jsonl), podcast episode folders "
                 "(with episode.json), or a folder that holds them, such as the data folder's episodes/.")


def podcast_candidates(episode_folder: Path) -> list[Candidate]:
    """One candidate per listener question of an episode (the answers joined, without the bridge)."""
    from engine.podcast.episode import load_episode

    episode = load_episode(Path(episode_folder))
    out: list[Candidate] = []
    for interaction in episode.interactions:
        answers = [a for a in interaction.answers if a.kind == "answer"]
        if not answers:
            continue
        audio = episode.audio_path(interaction.question)
        out.append(Candidate(
            f"podcast-{episode.id}-{interaction.id}", f"Podcast {episode.title}", interaction.question.text,
            " ".join(a.text for a in answers), None, str(audio) if audio and audio.is_file() else None,
        ))
    return out


def _folder_kind(folder: Path) -> str | None:
    if (folder / "transcript.jsonl").is_file():
        return "live"
    if (folder / "episode.json").is_file():
        return "podcast"
    return None


def _candidates_of(folder: Path, kind: str) -> list[Candidate]:
    if kind == "live":
        return live_candidates(folder)
    from engine.podcast.episode import EpisodeError

    try:
        return podcast_candidates(folder)
    except EpisodeError as exc:
        raise SessionFolderError(exc.message, exc.hint) from exc


def collect_candidates(folders: Iterable[Path]) -> Review:
    """Candidates from session folders and episode folders, in the order given.

    A folder that holds sessions or episodes (the data folder's ``episodes/``
    or ``sessions/``) stands for all of them; a damaged one among them is left
    out and named in ``Review.skipped``. A folder given by name that is neither
    raises ``SessionFolderError`` (a ``DatasetError`` and a ``ValueError``), as
    does a damaged one.
    """
    review = Review()
    for folder in folders:
        folder = Path(folder).expanduser()
        kind = _folder_kind(folder)
        if kind is not None:
            review.candidates.extend(_candidates_of(folder, kind))
            continue
        children = sorted(child for child in folder.iterdir() if child.is_dir()) if folder.is_dir() else []
        found = [(child, child_kind) for child in children if (child_kind := _folder_kind(child))]
        if not found:
            what = "does not exist" if not folder.exists() else "is neither a recorded Live session nor a podcast episode"
            raise SessionFolderError(f"{folder} {what}, and holds none.", _WHAT_TO_PASS)
        for child, child_kind in found:
            try:
                review.candidates.extend(_candidates_of(child, child_kind))
            except DatasetError as exc:
                review.skipped.append(str(exc))
    return review


def _sample(candidate: Candidate, writer: DatasetWriter) -> Sample:
    images: list[MediaRef] = []
    audios: list[MediaRef] = []
    prefix = ""
    for kind, path, refs, media_type in (("image", candidate.image, images, "screenshot"),
                                          ("audio", candidate.audio, audios, "speech")):
        if not path:
            continue
        relative = f"media/{candidate.id}/{kind}{Path(path).suffix.lower()}"
        target = writer.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        refs.append(MediaRef(path=relative, type=media_type))
        prefix += f"<{kind}>"
    live = candidate.id.startswith("live-")
    modalities = Modalities(image=images, audio=audios) if images or audios else None
    return Sample(
        id=candidate.id,
        messages=[Message(role="user", content=prefix + candidate.user), Message(role="assistant", content=candidate.assistant)],
        domain="multimodal_fullstack" if live else "podcast_interactions",
        category="live_screen_conversation" if live else "podcast_listener_question",
        source=LIVE_SOURCE if live else PODCAST_SOURCE,
        modalities=modalities,
    )


def save_reviewed(review: Review, dst_root: Path, name: str | None = None) -> DatasetCard:
    """Write the kept candidates as a dataset folder."""
    with DatasetWriter(dst_root, name, recipe={"from": "sessions", "candidates": len(review.candidates)}) as writer:
        for candidate in review.candidates:
            if candidate.keep and candidate.assistant.strip() and (candidate.user.strip() or candidate.media()):
                writer.write(_sample(candidate, writer))
    return writer.card
