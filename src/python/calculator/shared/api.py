"""The calculator's HTTP API, declared once: its title and version, and every route.

Each function serves its routes from here (`app.serves(api.ADD)`, lambda_http.router), and the
OpenAPI document is built from this module alone at build time (lambda_devkit.openapi): it
imports the models and the plumbing, never the logic, so an edit of the logic leaves the
document's inputs as they were. infra/template.yaml routes the same requests to the functions
(tests/calculator/service/test_routes.py holds the two equal). Bump VERSION's major number for
a change that breaks clients: the breaking-change check names each such change.
`./pants run src/python/lambda_devkit/scaffold/new_function.py` adds a route here, and
`remove_function.py` removes one.
"""

from __future__ import annotations

from calculator.shared.models import CalculationResult, HistoryPage, HistoryQuery, Operands
from lambda_http.declaration import Api

TITLE = "Calculator API"
VERSION = "1.1.0"
DESCRIPTION = (
    "Exact arithmetic over HTTP: each calculation route takes two JSON numbers and answers "
    "with every digit; the history route pages through the caller's calculations, newest "
    "first. Every route needs a JWT bearer token. Numbers are exact: a result can have more "
    "digits, or a larger exponent, than a double holds (a product of two large operands, a "
    "30-digit integer), so a client that must keep them parses numbers as decimals (Python: "
    "`json.loads(text, parse_float=Decimal)`; JavaScript: a parser with big-number support), "
    "not as doubles."
)

API = Api(TITLE, VERSION, DESCRIPTION)

ADD = API.post(
    "/add",
    operation_id="postAdd",
    summary="Adds `a` and `b` exactly and records the calculation in history.",
    body=Operands,
    response=CalculationResult,
    writes=True,
)
HISTORY = API.get(
    "/history",
    operation_id="getHistory",
    summary="The caller's most recent calculations, newest first, a page at a time.",
    query=HistoryQuery,
    response=HistoryPage,
)
MULTIPLY = API.post(
    "/multiply",
    operation_id="postMultiply",
    summary="Multiplies `a` and `b` exactly and records the calculation in history.",
    body=Operands,
    response=CalculationResult,
    writes=True,
)
