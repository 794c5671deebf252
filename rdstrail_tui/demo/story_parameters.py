"""Parameter groups in the RDS story: created with a first tuning and tuned again later,
for the instance and cluster arcs, and as an arc of their own."""

from __future__ import annotations

from rdstrail_tui.demo.identities import CallerSession
from rdstrail_tui.demo.rds_model import ENGINES, Engine, parameter_group_response
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_calls import DAY, Recorder


class ParameterGroups(Recorder):
    """Parameter group calls, and the parameter-group arc."""

    def _create_parameter_group(
        self, s: CallerSession, scene: Scene, t: int, name: str, eng: Engine, *, cluster: bool
    ) -> None:
        place = scene.place
        description = f"{name} tuning ({place.env})"
        key = "dBClusterParameterGroupName" if cluster else "dBParameterGroupName"
        params = {key: name, "dBParameterGroupFamily": eng.family, "description": description}
        create = "CreateDBClusterParameterGroup" if cluster else "CreateDBParameterGroup"
        response = parameter_group_response(place, name, eng.family, description, cluster)
        self.call(s, scene, t, create, params, response)
        self._modify_parameter_group(s, scene, t + self.rng.randint(2, 8), name, eng, cluster, 2)
        if cluster:
            scene.catalog.cluster_param_groups.append(name)
        else:
            scene.catalog.param_groups.append(name)

    def _modify_parameter_group(
        self, s: CallerSession, scene: Scene, t: int, name: str, eng: Engine, cluster: bool, n: int
    ) -> None:
        chosen = self.rng.sample(eng.tuning, n)
        parameters = [
            {"parameterName": p, "parameterValue": v, "applyMethod": m} for p, v, m in chosen
        ]
        key = "dBClusterParameterGroupName" if cluster else "dBParameterGroupName"
        modify = "ModifyDBClusterParameterGroup" if cluster else "ModifyDBParameterGroup"
        self.call(s, scene, t, modify, {key: name, "parameters": parameters}, {key: name})

    def parameter_arc(self, scene: Scene, engine: str, app: str, t0: int) -> None:
        """A parameter group created, tuned twice, and inspected."""
        eng = ENGINES[engine]
        s = self.open("carol", scene, t0)
        name = scene.catalog.unique(f"{app}-{eng.family.replace('.', '-')}")
        self._create_parameter_group(s, scene, t0, name, eng, cluster=False)
        t = self.poll(
            s,
            scene,
            t0 + 10,
            "DescribeDBParameters",
            {"dBParameterGroupName": name, "source": "user"},
            1,
        )
        t2 = self.tl.working_after(self.rng, t, 0.5 * DAY * self.pace, 3 * DAY * self.pace)
        if t2 is not None:
            s = self.open("carol", scene, t2)
            self._modify_parameter_group(s, scene, t2, name, eng, False, 1)
