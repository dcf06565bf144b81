"""The Expert tab: datasets and fine-tune jobs."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from app.widgets.intro_panel import IntroPanel


class ExpertPanel(IntroPanel):
    """Shows the Expert feature; the dataset workbench and job board grow here."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Expert",
            "Fine-tune the model you talk to, on your own data, without leaving the app.",
            [
                "Build datasets from synthetic generators, hub recipes, your files and your Live sessions.",
                "Normalise, validate, deduplicate and mix them; preview text, images and audio.",
                "Run LoRA SFT and DPO jobs with progress, a live loss plot, cancel and resume.",
                "Compare the result with the base model, then use it in Live with one click.",
            ],
            parent,
        )
