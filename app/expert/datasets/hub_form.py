"""Build source: a Hub recipe (Hugging Face datasets and git repositories), streamed and resumable."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from app.expert.datasets.bridge import Job, JobContext
from app.expert.datasets.common import ERROR_COLOR, error_text, muted_label
from app.expert.datasets.source_form import stamped
from app.live.lifetime import while_alive
from app.tasks import run_task
from training.datasets.hub import STATE_NAME, HubError, HubReport, HubState, build_from_recipe
from training.datasets.hub_recipes import Recipe, RecipeError, list_recipes


def _nothing_written(dst: Path) -> bool:
    try:
        state = HubState.load(dst)
    except HubError:
        return False
    return state is None or all(entry.written == 0 for entry in state.entries.values())


def build_hub(recipe: Recipe, dst: Path, total: int, ctx: JobContext) -> HubReport:
    """Run the recipe into ``dst``; a failure before any record was written leaves no folder behind."""
    fresh = not (dst / STATE_NAME).exists()
    try:
        return build_from_recipe(recipe, dst, total=total, progress=ctx.report, cancel=ctx.cancelled)
    except HubError:
        # Offline or a wrong id: an empty resume folder would only clutter the library.
        if fresh and _nothing_written(dst):
            shutil.rmtree(dst, ignore_errors=True)
        raise


class HubForm(QWidget):
    """Pick a recipe (built-in or from the recipes folder) and the total size."""

    title = "Hub recipe"
    resumable = True

    def __init__(self, recipes_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.recipes_dir = Path(recipes_dir)
        self.recipes: list[Recipe] = []
        self.recipe_box = QComboBox()
        self.recipe_box.currentIndexChanged.connect(self._describe)
        self.total = QSpinBox()
        self.total.setRange(1, 100_000_000)
        self.total.setGroupSeparatorShown(True)
        self.total.setValue(1000)
        self.description = muted_label("Loading recipes…")
        self.entries_label = muted_label()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {ERROR_COLOR};")
        self.problems.hide()
        form = QFormLayout()
        form.addRow("Recipe", self.recipe_box)
        form.addRow("Total records", self.total)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.description)
        layout.addWidget(self.entries_label)
        layout.addWidget(self.problems)
        layout.addWidget(muted_label(f"Needs the internet. Your own recipes go in {self.recipes_dir}. "
                                     "A cancelled download continues when you build again with the same "
                                     "name, recipe and total."))
        layout.addStretch(1)
        self.reload()

    def reload(self) -> None:
        """Read the recipes again (worker thread)."""
        folder = self.recipes_dir
        run_task(lambda: list_recipes(folder), while_alive(self, self._listed))

    def _listed(self, result: tuple[list[Recipe], list[RecipeError]] | None,
                error: BaseException | None) -> None:
        if error is not None or result is None:
            self.description.setText("")
            reason = error_text(error) if error is not None else "no answer"
            self._show_problems([f"The recipes could not be read: {reason}"])
            return
        recipes, errors = result
        self.recipes = sorted(recipes, key=lambda r: r.name)
        self.recipe_box.blockSignals(True)
        self.recipe_box.clear()
        for recipe in self.recipes:
            self.recipe_box.addItem(recipe.name)
        self.recipe_box.blockSignals(False)
        self._show_problems([str(e) for e in errors])
        self._describe()

    def _show_problems(self, lines: list[str]) -> None:
        self.problems.setText("\n".join(lines))
        self.problems.setVisible(bool(lines))

    def selected(self) -> Recipe | None:
        """The chosen recipe."""
        index = self.recipe_box.currentIndex()
        return self.recipes[index] if 0 <= index < len(self.recipes) else None

    def _describe(self, *_args: object) -> None:
        recipe = self.selected()
        if recipe is None:
            self.description.setText("No recipe found." if not self.recipes else "")
            self.entries_label.setText("")
            return
        self.total.setValue(recipe.total)
        self.description.setText(recipe.description or recipe.name)
        lines = []
        for entry in recipe.entries:
            share = f"{entry.limit:,} rows" if entry.limit is not None else f"{(entry.share or 0):.0%}"
            lines.append(f"• {entry.name} ({share}, {entry.domain}/{entry.category})")
        self.entries_label.setText("\n".join(lines))

    def default_name(self) -> str:
        """``<recipe>-<time>``."""
        recipe = self.selected()
        return stamped(recipe.name if recipe else "hub")

    def job(self, dst: Path) -> Job:
        """Stream the chosen recipe into ``dst``."""
        recipe = self.selected()
        if recipe is None:
            raise ValueError("Choose a recipe.")
        total = self.total.value()
        return Job(f"Hub recipe {recipe.name}", lambda ctx: build_hub(recipe, dst, total, ctx))

    def summary(self, result: Any) -> str:
        """The report's line and the entries that had problems."""
        report: HubReport = result
        failed = [f"{e.name}: {e.error}" for e in report.entries if e.error]
        skipped = sum(e.skipped for e in report.entries)
        text = report.summary() + (f", {skipped:,} rows skipped" if skipped else "")
        return text + ("; " + "; ".join(failed) if failed else "")
