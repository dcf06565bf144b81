"""The Live tab: "watch my screen" voice conversation."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.widgets.intro_panel import IntroPanel


class LivePanel(IntroPanel):
    """Shows the Live feature; the conversation view grows here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Live",
            "Share your screen or camera and talk. Nexus sees the recent frames, hears your voice "
            "and answers aloud, sentence by sentence, on this computer.",
            [
                "Pick a monitor, a region or a camera; nothing is captured until you press Start.",
                "Speak hands-free, hold push-to-talk, or type.",
                "Talk over the answer at any time: playback stops at once and Nexus listens.",
                "Its own voice coming back through the microphone never interrupts it.",
                "Record sessions only when you choose to, and turn them into training data.",
            ],
            parent,
        )
