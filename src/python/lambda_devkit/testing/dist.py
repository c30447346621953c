"""The one dist/ layout of tests: what Pants built, found and copied under a build root of their own.

Under `./pants test`, a test's runtime_package_dependencies put each package in its sandbox at
its path relative to dist/. Plain pytest in a checkout (an IDE, the inner-loop benchmark's
baseline) finds the same files in dist/, as `./pants package ::` wrote them. Tests of tools that
never run the zips lay out stand-ins instead (`lay_out_stand_ins`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from lambda_devkit import template as sam

DIST = Path("dist")


def packaged(relative: Path) -> Path:
    """A package's file, given its path relative to dist/: in the sandbox, or under dist/."""
    if not relative.exists() and (DIST / relative).exists():
        return DIST / relative
    return relative


def lay_out_dist(root: Path, template: dict[str, Any] | None = None) -> Path:
    """Every zip the template deploys, from where a test's runtime_package_dependencies put it
    (the sandbox's dist/, flattened) to `root`/dist/..., as `./pants package ::` writes it;
    free to rebuild or delete. Returns `root`."""
    for artifact in sam.artifacts(template or sam.load()):
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(packaged(artifact.built).read_bytes())
    return root


def merge_unpacked(opt: Path, unpacked: list[Path]) -> Path:
    """Layers already unpacked each in a directory of its own (`unpacked`, in order), merged
    into `opt` as Lambda merges them into /opt: a later layer's file replaces an earlier one's.
    A test that needs /opt with and without a layer then unpacks each layer once (the
    requirements layer is thousands of files, seconds to unpack). The merge is of symbolic
    links: to an entry only one layer has, or to the last layer's file; a directory several
    layers have is made here and merged entry by entry. Nothing in `unpacked` is written.
    Returns `opt`."""
    opt.mkdir(parents=True, exist_ok=True)
    names: dict[str, list[Path]] = {}
    for layer in unpacked:
        for entry in layer.iterdir():
            names.setdefault(entry.name, []).append(entry)
    for name, entries in names.items():
        directories = [e for e in entries if e.is_dir()]
        if len(directories) > 1 and len(directories) == len(entries):
            merge_unpacked(opt / name, directories)
        else:
            (opt / name).symlink_to(entries[-1].resolve())
    return opt


# The code of every stand-in function: it answers 200 with what it was sent, so that tests of the
# tools that run functions (serve, invoke) check what reaches a function and what comes back,
# whatever the service's own handlers do; and it prints one EMF document per request, as an
# instrumented function does. Standard library only: it needs no layer.
PROBE = """import json
import os
import time

RESOURCE = {resource!r}


def handler(event, context):
    route = event.get("routeKey", "direct")
    metrics = {{"Namespace": "probe", "Dimensions": [["route"]], "Metrics": [{{"Name": "Requests"}}]}}
    document = {{"_aws": {{"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [metrics]}}}}
    print(json.dumps({{**document, "route": route, "Requests": [1]}}))
    request = event.get("requestContext", {{}})
    answer = {{
        "function": RESOURCE,
        "name": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
        "route": route,
        "query": event.get("rawQueryString"),
        "body": event.get("body"),
        "isBase64Encoded": event.get("isBase64Encoded"),
        "authorizer": request.get("authorizer"),
        "pid": os.getpid(),
    }}
    return {{"statusCode": 200, "headers": {{"content-type": "application/json"}}, "body": json.dumps(answer)}}
"""


def lay_out_stand_ins(root: Path, template: dict[str, Any] | None = None) -> Path:
    """A small zip of its own at each path the template deploys from, under `root`: for tests of
    the tools rather than of the service. Each function's zip holds PROBE, each layer's one
    module. Such tests need no build, and rerun when the tools or the template change, not on
    every edit of the service's code. Each zip names its resource, so no two are alike, and is
    byte-identical on every call. Returns `root`."""
    for artifact in sam.artifacts(template or sam.load()):
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if artifact.resource_type == sam.FUNCTION:
            name, source = "lambda_function.py", PROBE.format(resource=artifact.resource)
        else:
            name, source = f"python/{artifact.resource.lower()}.py", f"# {artifact.resource}\n"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as stand_in:
            stand_in.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), source)
    return root
