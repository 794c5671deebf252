"""An Input whose editing keys act in the order they were typed.

Textual's Input inserts a printable key as soon as it takes it, but its own bound keys
(backspace, left, right, home, ctrl+w, ...) go up to the app first and run only once the
keys queued behind them are in: six backspaces and `xyzq` arriving in one read (a slow
SSH link, a held key, tmux send-keys) typed `xyzq` first and then deleted it and two
characters more. Upstream: Textualize/textual#6605 (open when this was written)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class InOrderInput(Input):
    """An Input that runs its own (non-priority) bindings while it takes the key.

    What runs is what Textual would have run: the focused widget is the first place a key's
    binding is looked for, and priority bindings are checked before the key reaches any
    widget, so only the moment changes. A binding whose action declines (check_action)
    lets the key go on up as before."""

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue
            if await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)
