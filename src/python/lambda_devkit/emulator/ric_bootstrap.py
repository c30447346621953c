"""Runs inside the sandboxed interpreter: Lambda's import order, then awslambdaric's loop.

Started as `python -I -S -B ric_bootstrap.py <handler>`: nothing from the caller's
environment or site-packages leaks in. Only the standard library may be used before the
path is set.
"""

import os
import sys


def main() -> None:
    task_root, opt, runtime = (
        os.environ["LAMBDA_TASK_ROOT"],
        os.environ["LAMBDA_OPT"],
        os.environ["LAMBDA_RUNTIME_DIR"],
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    stdlib = [p for p in sys.path if p and not p.endswith("site-packages")]
    layers = [
        os.path.join(opt, "python", "lib", version, "site-packages"),
        os.path.join(opt, "python"),
    ]
    # The python3.13 runtime's order: function code, layers, then the runtime's own packages.
    sys.path[:] = [task_root, *layers, runtime, *stdlib]
    os.chdir(task_root)

    from awslambdaric.__main__ import main as run_interface_client

    run_interface_client(["awslambdaric", sys.argv[1]])


if __name__ == "__main__":
    main()
