"""BUILD-file prelude ([GLOBAL].build_file_prelude_globs): names every BUILD file can use."""

# Every zip `./pants package ::` writes for the calculator. Tests that run or deploy the
# packaged artifacts (tests/smoke, infra) depend on exactly these; a new function is added here.
# A tuple: Pants requires prelude values to be hashable.
CALCULATOR_ARTIFACTS = (
    "src/python/calculator/functions/add:lambda",
    "src/python/calculator/functions/history:lambda",
    "src/python/calculator/functions/multiply:lambda",
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
