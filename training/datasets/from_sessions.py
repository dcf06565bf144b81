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
from training.datasets.store import DatasetCard, DatasetWriter

LIVE_SOURCE = "nexus-live-session"
PODCAST_SOURCE = "nexus-podcast-interaction"


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
    """One candidate per answered turn of a recorded Live session."""
    session = Path(session)
    out: list[Candidate] = []
    transcript = session / "transcript.jsonl"
    for number, line in enumerate(transcript.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        entry = json.loads(line)
        answer = str(entry.get("assistant") or "").strip()
        user = str(entry.get("user") or "").strip()
        if not answer or (not user and not entry.get("audio")):
            continue
        frame = session / entry["frame"] if entry.get("frame") else None
        audio = session / entry["audio"] if entry.get("audio") else None
        interrupted = bool(entry.get("interrupted"))
        out.append(Candidate(
            f"live-{session.name}-{entry.get('turn', number)}", f"Live {session.name}", user, answer,
            str(frame) if frame and frame.is_file() else None, str(audio) if audio and audio.is_file() else None,
            keep=not interrupted, note="interrupted: only the heard part" if interrupted else "",
        ))
    return out


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


def collect_candidates(folders: Iterable[Path]) -> Review:
    """Candidates from session folders and episode folders, in the order given."""
    review = Review()
    for folder in folders:
        folder = Path(folder)
        if (folder / "transcript.jsonl").is_file():
            review.candidates.extend(live_candidates(folder))
        elif (folder / "episode.json").is_file():
            review.candidates.extend(podcast_candidates(folder))
        else:
            raise ValueError(f"{folder} is neither a recorded Live session nor a podcast episode")
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
