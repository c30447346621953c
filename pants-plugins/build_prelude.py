"""BUILD-file prelude ([GLOBAL].build_file_prelude_globs): names every BUILD file can use."""

# The Lambda functions, one directory each under src/python/calculator/functions/, as the
# targets that package them. Pants 2.17 has no dependency globs, so this is the one place
# Pants learns the list; infra/template.yaml deploys the same functions
# (tests/calculator/test_template.py fails naming any difference) and everything else derives
# from the template (src/python/lambda_devkit/service_spec.py).
# `./pants run src/python/lambda_devkit/scaffold/new_function.py -- NAME` adds to it and
# `.../remove_function.py -- NAME` removes from it (both rewrite the tuple below, parsed).
# Tuples: Pants requires prelude values to be hashable.
# The service's package: the one line here a fork that renames it changes (docs/forking.md).
SERVICE_PACKAGE = "src/python/calculator"
SERVICE_FUNCTIONS = (
    "add",
    "history",
    "multiply",
)
# (A comprehension's body cannot see the prelude's other names: map a bound method instead.)
SERVICE_FUNCTION_DIRS = tuple(map(f"{SERVICE_PACKAGE}/functions/{{}}".format, SERVICE_FUNCTIONS))
# For tests that import every handler by name from the template (no import to infer).
SERVICE_HANDLERS = tuple(f"{d}/handler.py" for d in SERVICE_FUNCTION_DIRS)
# Every zip `./pants package ::` writes for the service: what tests that run or deploy the
# packaged artifacts (tests/calculator/packaged, tests/lambda_devkit) depend on.
SERVICE_ARTIFACTS = (
    *(f"{d}:lambda" for d in SERVICE_FUNCTION_DIRS),
    f"{SERVICE_PACKAGE}:shared-layer",
    f"{SERVICE_PACKAGE}:requirements-layer-arm64",
    f"{SERVICE_PACKAGE}:requirements-layer-x86_64",
)

# The environment of the in-repo plugins' tests, whose rule runners find interpreters (pyenv,
# then PATH) and the pex tool in ./pants' cache (pants-plugins/plugin_testing.py). Their PATH is
# every pex process's, pants.toml's [pex].executable_search_paths: fixed, not the caller's.
PLUGIN_TESTS_ENV = (
    "PYENV_ROOT",
    "HOME",
    "XDG_CACHE_HOME",
    "PANTS_LAUNCHER_CACHE",
)
