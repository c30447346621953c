"""What the template deploys is exactly what `./pants package ::` builds for the service.

Here, not in tests/calculator/test_template.py, because it reads the built zips: the template's
own checks then need no build and do not rerun on every edit of the service's code, while these
run in the packaged contents' batch, which reruns on such an edit anyway.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.testing.dist import packaged


def test_every_artifact_the_template_deploys_is_built_by_pants() -> None:
    # The test's runtime_package_dependencies put exactly what `./pants package` builds here,
    # under the same paths as in dist/.
    for artifact in sam.artifacts(sam.load()):
        built = packaged(artifact.built)
        assert built.is_file(), (
            f"{artifact.resource} deploys {artifact.path}, which Pants does not build"
        )


def test_every_artifact_pants_builds_is_deployed_by_the_template() -> None:
    # What the tests depend on (SERVICE_ARTIFACTS in pants-plugins/build_prelude.py), which
    # is what `./pants package ::` writes for the service.
    built = {str(path) for path in Path().glob("*/*.zip")}
    deployed = {str(a.built) for a in sam.artifacts(sam.load())}
    assert built - deployed == set(), (
        "SERVICE_ARTIFACTS builds zips infra/template.yaml does not deploy"
    )


def template_layers(template: dict[str, Any], resource: str, architecture: str) -> list[str]:
    """The layers the template gives a function on `architecture`, as the Pants targets that
    build them: Globals' Layers, then its own (SAM appends lists), each condition chosen."""
    built_here = {
        a.resource: a.target for a in sam.artifacts(template) if a.resource_type == sam.LAYER
    }
    values = sam.parameter_values(template, {"Architecture": architecture})
    listed = [
        *template.get("Globals", {}).get("Function", {}).get("Layers", []),
        *template["Resources"][resource]["Properties"].get("Layers", []),
    ]
    layers = []
    for layer in listed:
        value = sam.resolve(template, layer, values)
        if value is not None:  # AWS::NoValue
            # A layer built elsewhere (an ARN) stays as written: no target names it.
            ref = value.get("Ref", "") if isinstance(value, dict) else ""
            layers.append(built_here.get(ref, str(value)))
    return layers


def test_each_function_runs_with_the_layers_its_target_names() -> None:
    """A function's zip leaves out what its target's `layers` ship, so the template must deploy
    it with exactly those: `./pants package` records them beside the zip (`layers` in
    <zip>.metadata.json, for the architecture the zip is built for)."""
    template = sam.load()
    problems = []
    for function in service_spec.functions(template):
        built = json.loads(packaged(Path(f"{function.built}.metadata.json")).read_text())
        architecture = built["architecture"]
        named = built.get("layers", [])
        deployed = template_layers(template, function.resource, architecture)
        if deployed != named:
            problems.append(
                f"{function.resource} on {architecture}: {sam.TEMPLATE} gives {deployed}, "
                f"{function.build_target} is built against {named} (only in the template: "
                f"{sorted(set(deployed) - set(named))}; only in the BUILD files: "
                f"{sorted(set(named) - set(deployed))})"
            )
    assert not problems, "\n".join(problems)
