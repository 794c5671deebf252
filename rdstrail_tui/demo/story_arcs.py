"""The RDS story: databases and clusters created, changed, snapshotted, failed over, deleted.

Each *arc* follows one resource through its life, so a user of the explorer can pick an
identifier and read its history. Arcs are planned up front (their records are serialised
immediately and kept, sorted by time, until the writer reaches their delivery window); the
resources they create are registered with lifetimes so that background reads elsewhere only
describe databases that exist at that moment.

The calls are written by one class per kind of arc (``story_instances``, ``story_clusters``,
``story_parameters``, on ``story_calls``; the changes the resource history is about are
``story_changes``'); ``Story`` tells them all, and the arcs that mix kinds. Which arcs are
told, where and when, is ``plot``'s.
"""

from __future__ import annotations

from rdstrail_tui.demo.rds_reads import THROTTLED
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_calls import _Arc
from rdstrail_tui.demo.story_clusters import ClusterArcs
from rdstrail_tui.demo.story_instances import InstanceArcs


class Story(InstanceArcs, ClusterArcs):
    """Plans arcs and collects their serialised records."""

    def throttled_refresh(self, scene: Scene, t0: int) -> None:
        """A terraform refresh bursting DescribeDBInstances into the rate limit, then retrying."""
        rng, cat = self.rng, scene.catalog
        s = self.open("ci", scene, t0)
        t = t0
        for n in range(8):
            inst = cat.instances[n % cat.stable_instances]
            params = {"dBInstanceIdentifier": inst.ident}
            throttled = n in (3, 4)
            error = THROTTLED if throttled else None
            self.call(s, scene, t, "DescribeDBInstances", params, error=error, read_only=True)
            t += rng.randint(1, 3) if not throttled else rng.randint(2, 6)

    def maintenance_arc(self, scene: Scene, t0: int, steps: tuple[str, ...]) -> None:
        """Changes to a long-lived database (one that exists for the whole trail)."""
        cat = scene.catalog
        stable = [i for i in cat.instances[: cat.stable_instances] if i.cluster is None]
        arc = _Arc(scene, "ops", "carol", inst=self.rng.choice(stable))
        t = t0
        for step in steps:
            if step in ("failover", "cluster_snapshot"):
                clusters = cat.clusters[: cat.stable_clusters]
                if not clusters:
                    continue
                carc = _Arc(scene, "ops", "carol", cluster=self.rng.choice(clusters))
                nt = self._after(t, step)
                if nt is None:
                    return
                t = getattr(self, f"_cstep_{step}")(carc, nt)
                continue
            nt = self._after(t, step)
            if nt is None:
                return
            self._apply_maintenance(arc, nt)
            t = self._instance_step(arc, step, nt)
