"""Everything a call builder may refer to in one account/region."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdstrail_tui.demo.identities import Directory
from rdstrail_tui.demo.rds_model import RdsCatalog
from rdstrail_tui.demo.world import Place


@dataclass
class Scene:
    place: Place
    catalog: RdsCatalog
    directory: Directory
    #: Pre-drawn opaque strings (S3 ``x-amz-id-2`` values) reused across records for speed.
    host_ids: list[str] = field(default_factory=list)
    #: Role unique IDs of service roles (``rds-monitoring-role`` ...), by role name.
    service_roles: dict[str, str] = field(default_factory=dict)
