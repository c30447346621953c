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
