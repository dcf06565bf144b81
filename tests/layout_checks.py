"""Geometry checks for the GUI: what a user would see as overlapping, cut off or squeezed widgets.

``layout_problems(root)`` walks the visible widgets under ``root`` that the app
placed with a layout or a splitter, and returns one sentence per problem:

- a widget that reaches outside the part of its parent that is shown;
- two widgets of the same layout that overlap;
- a widget smaller than its minimum size hint (a button or combo box whose text is cut),
  or a text box too narrow for its hint;
- a word-wrapped label shorter than its wrapped text;
- a scroll area (other than item views) that needs a horizontal scroll bar.

The contents of scroll areas are checked against the scrolled widget, not the
viewport, so a column that scrolls is fine as long as nothing in it is cut.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QLayout,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)


def _layout_widgets(layout: QLayout) -> list[QWidget]:
    found: list[QWidget] = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item is None:
            continue
        if item.widget() is not None:
            found.append(item.widget())
        elif item.layout() is not None:
            found.extend(_layout_widgets(item.layout()))
    return found


def _placed_children(widget: QWidget) -> list[QWidget]:
    """Children ``widget`` places itself: through its layout, as splitter panes or stacked pages."""
    if isinstance(widget, QSplitter):
        children = [widget.widget(i) for i in range(widget.count())]
    elif isinstance(widget, (QStackedWidget, QTabWidget)):
        children = [widget.currentWidget()] if widget.currentWidget() is not None else []
    elif isinstance(widget, QScrollArea):
        children = [widget.widget()] if widget.widget() is not None else []
    elif widget.layout() is not None:
        children = _layout_widgets(widget.layout())
    else:
        children = []
    return [child for child in children if child is not None and child.isVisible()]


def _name(widget: QWidget) -> str:
    text = ""
    for attribute in ("text", "currentText", "placeholderText", "title"):
        getter = getattr(widget, attribute, None)
        if callable(getter):
            try:
                value = getter()
            except TypeError:
                continue
            if isinstance(value, str) and value:
                text = value.replace("\n", " ")[:40]
                break
    label = widget.objectName() or type(widget).__name__
    return f"{label}({text!r})" if text else label


def _check_size(widget: QWidget, problems: list[str]) -> None:
    policy = widget.sizePolicy()
    if QSizePolicy.Policy.Ignored in (policy.horizontalPolicy(), policy.verticalPolicy()):
        return
    # As layouts do: an explicit minimum size wins over the widget's own minimum size hint.
    hint = widget.minimumSizeHint()
    minimum = widget.minimumSize()
    need_w = minimum.width() or hint.width()
    need_h = minimum.height() or hint.height()
    if isinstance(widget, QAbstractScrollArea):
        return  # scroll areas show what fits and scroll the rest
    if widget.width() + 1 < need_w or widget.height() + 1 < need_h:
        problems.append(f"{_name(widget)} is {widget.width()}×{widget.height()}, needs {need_w}×{need_h}")
    if isinstance(widget, QLabel) and widget.wordWrap() and widget.text():
        wanted = widget.heightForWidth(widget.width())
        if wanted > widget.height() + 1:
            problems.append(f"{_name(widget)} is {widget.height()} px high, its text needs {wanted}")
    if isinstance(widget, QLineEdit) and widget.placeholderText() and not widget.text():
        text_width = widget.fontMetrics().horizontalAdvance(widget.placeholderText())
        if text_width > widget.width() - 12:
            problems.append(f"{_name(widget)} is {widget.width()} px wide, its hint needs {text_width + 12}")
    if isinstance(widget, QComboBox) and not widget.isEditable() and widget.currentText():
        text_width = widget.fontMetrics().horizontalAdvance(widget.currentText())
        if text_width > widget.width() - 30:
            problems.append(f"{_name(widget)} is {widget.width()} px wide, its text needs {text_width + 30}")


def layout_problems(root: QWidget) -> list[str]:
    """Every overlap, cut or squeeze among the visible widgets under ``root``."""
    problems: list[str] = []

    def visit(widget: QWidget) -> None:
        children = _placed_children(widget)
        inside_scroll = isinstance(widget, QScrollArea)
        if isinstance(widget, QScrollArea) and widget.horizontalScrollBar().isVisible():
            problems.append(f"{_name(widget)} scrolls sideways: its content is {widget.widget().width()} px wide "
                            f"in {widget.viewport().width()} px")
        area = widget.rect() if not isinstance(widget, QAbstractScrollArea) else QRect()
        for child in children:
            if not inside_scroll and not isinstance(widget, QTabWidget) and not area.contains(child.geometry()):
                problems.append(f"{_name(child)} at {child.geometry().getRect()} reaches outside "
                                f"{_name(widget)} ({area.width()}×{area.height()})")
            _check_size(child, problems)
        if not isinstance(widget, (QSplitter, QScrollArea, QTabWidget, QStackedWidget)):
            for index, first in enumerate(children):
                for second in children[index + 1:]:
                    if first.geometry().intersects(second.geometry()):
                        problems.append(f"{_name(first)} overlaps {_name(second)}")
        for child in children:
            if not isinstance(child, QAbstractItemView):
                visit(child)

    visit(root)
    return problems
