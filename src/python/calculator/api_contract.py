"""What the calculator's OpenAPI document says of itself: the one place its version is kept.

Never shipped (no function imports it): `./pants package ::` builds dist/openapi.json from it
and from the functions' route declarations (docs/api-contract.md). Bump VERSION's major number
for a change that breaks clients; the breaking-change check names each such change.
"""

TITLE = "Calculator API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Exact arithmetic over HTTP: each calculation route takes two JSON numbers and answers "
    "with every digit; the history route pages through the caller's calculations, newest "
    "first. Every route needs a JWT bearer token."
)
