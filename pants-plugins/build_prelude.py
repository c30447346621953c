"""BUILD-file prelude ([GLOBAL].build_file_prelude_globs): names every BUILD file can use."""

# The Lambda functions, one directory each under src/python/calculator/functions/, as the
# targets that package them. Pants 2.17 has no dependency globs, so this is the one place
# Pants learns the list; infra/template.yaml deploys the same functions
# (tests/calculator/test_template.py fails naming any difference) and everything else derives
# from the template (src/python/lambda_devkit/service_spec.py).
# `./pants run src/python/lambda_devkit/scaffold/new_function.py -- NAME` adds to it and
# `.../remove_function.py -- NAME` removes from it (both rewrite the tuple below, parsed).
# Tuples: Pants requires prelude values to be hashable.
CALCULATOR_FUNCTIONS = (
    "add",
    "history",
    "multiply",
)
CALCULATOR_FUNCTION_DIRS = tuple(
    f"src/python/calculator/functions/{n}" for n in CALCULATOR_FUNCTIONS
)
# For tests that import every handler by name from the template (no import to infer).
CALCULATOR_HANDLERS = tuple(f"{d}/handler.py" for d in CALCULATOR_FUNCTION_DIRS)
# Every zip `./pants package ::` writes for the calculator: what tests that run or deploy the
# packaged artifacts (tests/calculator/packaged, tests/lambda_devkit) depend on.
CALCULATOR_ARTIFACTS = (
    *(f"{d}:lambda" for d in CALCULATOR_FUNCTION_DIRS),
    "src/python/calculator:shared-layer",
    "src/python/calculator:requirements-layer-arm64",
    "src/python/calculator:requirements-layer-x86_64",
)

# The environment of the in-repo plugins' tests, whose rule runners find interpreters (pyenv,
# then PATH) and the pex tool in ./pants' cache (pants-plugins/plugin_testing.py). A fixed PATH,
# not the caller's: it is part of each test's cache key, and a caller's PATH varies for nothing
# (a pyenv shim prepends its own directories), which made a shared cache miss these tests.
PLUGIN_TESTS_ENV = (
    "PATH=/usr/local/bin:/usr/bin:/bin",
    "PYENV_ROOT",
    "HOME",
    "XDG_CACHE_HOME",
    "PANTS_LAUNCHER_CACHE",
)
