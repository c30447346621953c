"""The fuzzer's response check reads answers with exact numbers (fuzz_hooks.py): an exact answer
beyond a double's range conforms to the document, and a real schema violation still fails.

Run in the fuzzer's own environment (the schemathesis PEX CI runs), on a document of its own
with a calculation's answer as the calculator's declares it (a fork may have no such route):
the check is Schemathesis' own response schema check, with the hooks loaded as fuzz.sh loads
them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lambda_devkit.testing.dist import packaged

SCHEMATHESIS = Path("src.python.lambda_devkit.openapi/schemathesis.pex")
HOOKS = Path("src/python/lambda_devkit/openapi/fuzz_hooks.py")
NUMBER = {"type": "number"}
# One route answering a calculation, its schema as docs/openapi.json gives CalculationResult.
DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "exact numbers", "version": "1.0.0"},
    "paths": {
        "/calculation": {
            "post": {
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "operation": {"type": "string"},
                                        "a": NUMBER,
                                        "b": NUMBER,
                                        "result": NUMBER,
                                        "id": {"type": "string"},
                                    },
                                    "required": ["operation", "a", "b", "result", "id"],
                                }
                            }
                        },
                    }
                }
            }
        }
    },
}

# What the service answers for 1.7976931348623157e308 x -98944592051829: every digit, and an
# exponent no double has (Python's json reads it as -inf).
BEYOND_DOUBLES = (
    '{"operation":"multiply","a":1.7976931348623157E+308,"b":-98944592051829,'
    '"result":-1.778676958064497795428876089806795593E+322,"id":"x"}'
)
ANSWERS = {
    "beyond doubles": BEYOND_DOUBLES,
    "a 30-digit integer": (
        '{"operation":"multiply","a":123456789012345678901234567890,"b":3,'
        '"result":370370367037037036703703703670,"id":"x"}'
    ),
    "a string for a number": '{"operation":"multiply","a":1,"b":2,"result":"2","id":"x"}',
    "no result": '{"operation":"multiply","a":1,"b":2,"id":"x"}',
}

# Validates each answer as Schemathesis' response schema check does, without the hooks and then
# with them; prints {case: {"plain"|"hooked": "ok" or the failure's title}}.
SCRIPT = """
import importlib.util, json, sys
import requests
import schemathesis
document, hooks, answers = json.load(open(sys.argv[1])), sys.argv[2], json.loads(sys.argv[3])
operation = schemathesis.openapi.from_dict(document)["/calculation"]["POST"]

def checked(body):
    request = requests.Request("POST", "http://127.0.0.1/calculation").prepare()
    response = schemathesis.Response(
        status_code=200, headers={"content-type": ["application/json"]},
        content=body.encode(), request=request, elapsed=0.0, verify=True,
    )
    try:
        operation.validate_response(response)
        return "ok"
    except AssertionError as failure:
        return str(failure).strip().splitlines()[0]

results = {case: {"plain": checked(body)} for case, body in answers.items()}
spec = importlib.util.spec_from_file_location("fuzz_hooks", hooks)
spec.loader.exec_module(importlib.util.module_from_spec(spec))
for case, body in answers.items():
    results[case]["hooked"] = checked(body)
print(json.dumps(results))
"""


def test_exact_answers_conform_and_real_violations_still_fail(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(DOCUMENT))
    completed = subprocess.run(
        [
            sys.executable,
            str(packaged(SCHEMATHESIS)),
            "-c",
            SCRIPT,
            str(document),
            str(HOOKS),
            json.dumps(ANSWERS),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PEX_INTERPRETER": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout.splitlines()[-1])
    violates = "Response violates schema"
    assert results == {
        # Python's json reads the exponent as -inf: a false failure, which the hooks remove.
        "beyond doubles": {"plain": violates, "hooked": "ok"},
        "a 30-digit integer": {"plain": "ok", "hooked": "ok"},
        "a string for a number": {"plain": violates, "hooked": violates},
        "no result": {"plain": violates, "hooked": violates},
    }
