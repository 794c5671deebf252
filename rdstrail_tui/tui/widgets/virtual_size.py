"""Setting a scrolling widget's virtual size without a layout of the whole screen.

Textual lays out every widget on the screen, then draws the screen again, whenever a
ScrollView's virtual size changes. When the new size leaves the widget overflowing (or not)
as before, nothing moves: only the scrollbar's thumb changes, and that is all this does.
At 160x48 the layout a new virtual size asked for cost 30-60 ms: the list's at each
keystroke, and the detail's JSON (taken in a frame after the list) at the next one.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """Give `view` its new virtual size; a real layout only when a scrollbar must come or
    go (the rows start or stop overflowing), or the view is not laid out yet."""
    container = view.container_size
    old = view.virtual_size
    overflow_kept = (size.height > container.height) == (old.height > container.height) and (
        size.width > container.width
    ) == (old.width > container.width)
    scroll_update = getattr(view, "_scroll_update", None)  # Textual's own, private
    if not (view.is_mounted and container and overflow_kept and callable(scroll_update)):
        view.virtual_size = size
        return
    view.set_reactive(Widget.virtual_size, size)
    scroll_update(size)  # the scrollbar's thumb, and the scroll kept within the new size
