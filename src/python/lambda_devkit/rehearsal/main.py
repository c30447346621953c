"""`./pants run src/python/lambda_devkit/rehearsal/main.py`: deploy dist/ with infra/template.yaml to moto, verify.

Starts moto in server mode on 127.0.0.1, creates the stack through its CloudFormation API
from the zips `./pants package ::` wrote, and prints what was deployed and any difference
from the build. Exit status 1 if there is one. No AWS account, no Docker, nothing leaves
loopback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from lambda_devkit import template as sam
from lambda_devkit.moto_server import moto_endpoint
from lambda_devkit.rehearsal import observability
from lambda_devkit.rehearsal.deploy import Target, deploy, guards, verify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", choices=["arm64", "x86_64"], default="arm64")
    parser.add_argument(
        "--snapstart", action="store_true", help="deploy with the template's SnapStart=true"
    )
    parser.add_argument("--buildroot", type=Path, default=Path.cwd(), help="where dist/ is")
    args = parser.parse_args()

    # moto logs and warns for every CloudFormation type it does not emulate (ApiGatewayV2);
    # the report below says what was and was not checked.
    for noisy in ("moto", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS")

    template = sam.load()
    missing = [a.path for a in sam.artifacts(template) if not (args.buildroot / a.path).is_file()]
    if missing:
        sys.exit(f"rehearsal: {missing[0]} is missing; run `./pants package ::` first.")

    with moto_endpoint(stacks=True) as endpoint:
        target = Target(endpoint=endpoint, architecture=args.architecture, snapstart=args.snapstart)
        deployed = deploy(template, args.buildroot, target)
        problems = verify(template, deployed, args.buildroot, target)
        values = sam.parameter_values(template, target.parameters)
        enforced, _ = guards(deployed, values)
        watched, _ = observability.check(deployed, values)

    for artifact in sam.artifacts(template):
        print(
            f"{artifact.resource:24} {sam.code_sha256(args.buildroot / artifact.path)}  {artifact.path}"
        )
    print("\nGuards in the deployed stack:", *enforced, sep="\n  ")
    print("\nAlarms, dashboard and tracing in the deployed stack:", *watched, sep="\n  ")
    if problems:
        print("\nThe deployment differs from the build:", *problems, sep="\n  - ")
        sys.exit(1)
    print(
        f"\nstack {target.stack} ({args.architecture}, SnapStart "
        f"{'on' if args.snapstart else 'off'}) deployed and verified: code hashes, handlers, "
        "runtime, architecture, layers, SnapStart, the alias the API invokes, table keys, "
        "least-privilege roles, the guards, alarms, dashboard and tracing above."
    )


if __name__ == "__main__":
    main()
