"""What the template deploys is exactly what `./pants package ::` builds for the service.

Here, not in tests/calculator/test_template.py, because it reads the built zips: the template's
own checks then need no build and do not rerun on every edit of the service's code, while these
two run in the packaged contents' batch, which reruns on such an edit anyway.
"""

from __future__ import annotations

from pathlib import Path

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
