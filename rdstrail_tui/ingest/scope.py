"""Which records a load keeps."""

from __future__ import annotations

from dataclasses import dataclass

from rdstrail_tui.model.event import RDS_EVENT_SOURCE


@dataclass(frozen=True)
class Scope:
    """Which eventSources to keep; None keeps all."""

    sources: frozenset[str] | None = frozenset({RDS_EVENT_SOURCE})
