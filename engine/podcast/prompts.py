"""The words sent to the model for notes, outlines, script segments and listener answers."""

from __future__ import annotations

from collections.abc import Sequence

from engine.podcast.formats import PodcastFormat

NOTES_SYSTEM = (
    "You take precise study notes. Keep every fact, number, name and claim that matters; "
    "drop filler. Cite the reference in square brackets after each note."
)
OUTLINE_SYSTEM = "You plan podcast episodes. You answer with JSON only."
SCRIPT_SYSTEM = (
    "You write podcast scripts as JSON. Hosts speak naturally, in short turns, and only say what the "
    "sources support. You answer with a JSON array only."
)


def notes_prompt(title: str, refs: Sequence[str], text: str) -> str:
    """Ask for notes on one chunk of a source."""
    return (
        f"Source: {title}\nSections: {', '.join(refs)}\n\n{text}\n\n"
        "Write concise bullet-point notes on the text above, each ending with its reference in square "
        "brackets, e.g. [p. 3]."
    )


def outline_prompt(material: str, chapters: int, fmt: PodcastFormat, language: str, steer: str) -> str:
    """Ask for an episode outline as JSON."""
    steer_line = f"The listener asked for: {steer}\n" if steer.strip() else ""
    return (
        f"Material (notes with references):\n{material}\n\n"
        f"Plan a {fmt.title} podcast episode in {language} with exactly {chapters} chapter(s). {fmt.instructions}\n"
        f"{steer_line}"
        'Answer with JSON only: {"title": "...", "chapters": [{"title": "...", "points": ["..."], '
        '"refs": ["references from the material"]}]}'
    )


def host_lines(fmt: PodcastFormat) -> str:
    """One line per host: name and role."""
    return "\n".join(f"- {name}: {role}" for name, role in zip(fmt.hosts, fmt.roles))


def segment_prompt(
    *,
    fmt: PodcastFormat,
    episode_title: str,
    chapter_title: str,
    chapter_index: int,
    chapters: int,
    points: Sequence[str],
    material: str,
    words: int,
    language: str,
    steer: str,
    previous: Sequence[tuple[str, str]],
    extend: bool = False,
) -> str:
    """Ask for the turns of one chapter as a JSON array."""
    position = []
    if chapter_index == 0 and not extend:
        position.append("Open the episode: greet the listener and say what it is about.")
    if chapter_index == chapters - 1:
        position.append("End the episode with a short wrap-up and goodbye.")
    else:
        position.append("Do not end the episode; lead into the next chapter.")
    recent = "\n".join(f"{speaker}: {text}" for speaker, text in previous[-2:])
    recent_block = f"The episode so far ends with:\n{recent}\n" if recent else ""
    steer_line = f"The listener asked for: {steer}\n" if steer.strip() else ""
    task = "Continue this chapter" if extend else "Write this chapter"
    return (
        f"Episode: {episode_title} ({fmt.title}). {fmt.instructions}\nHosts:\n{host_lines(fmt)}\n"
        f"{steer_line}"
        f"Chapter {chapter_index + 1} of {chapters}: {chapter_title}\n"
        f"Points: {'; '.join(points) or 'the material below'}\n\nMaterial:\n{material}\n\n{recent_block}"
        f"{task} in {language} with about {words} spoken words in total, in turns of one to four sentences. "
        f"{' '.join(position)}\n"
        'Answer with a JSON array only: [{"speaker": "' + fmt.hosts[0] + '", "text": "...", '
        '"refs": ["references from the material"]}]'
    )


def repair_prompt(previous_answer: str) -> str:
    """Ask again after an answer that held no usable turns."""
    preview = previous_answer.strip()[:400]
    return (
        "Your previous answer was not a valid JSON array of turns. It began:\n"
        f"{preview}\n\nWrite the chapter again. Answer with the JSON array only, nothing before or after it."
    )


def answer_prompt(
    *,
    fmt: PodcastFormat,
    question: str,
    material: str,
    recent: Sequence[tuple[str, str]],
    language: str,
) -> str:
    """Ask the hosts to answer a listener who joined the show."""
    context = "\n".join(f"{speaker}: {text}" for speaker, text in recent[-3:])
    return (
        f"You are the hosts of a {fmt.title} podcast.\nHosts:\n{host_lines(fmt)}\n"
        f"The episode was just saying:\n{context}\n\n"
        f"A listener joined the show and asked: \"{question}\"\n\nRelevant material:\n{material}\n\n"
        f"Answer the listener in {language}, in character, in one to four short turns, using only the material; "
        "say so plainly if the material does not cover it. Do not say goodbye.\n"
        'Answer with a JSON array only: [{"speaker": "' + fmt.hosts[0] + '", "text": "...", '
        '"refs": ["references from the material"]}]'
    )
