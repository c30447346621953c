"""Backports Pants 2.18's `python_aws_lambda_function` and `python_aws_lambda_layer` to 2.17."""

from collections.abc import Iterable

from pants.engine.target import Target

from aws_lambda_backport import rules as lambda_rules
from aws_lambda_backport.target_types import PythonAWSLambdaFunction, PythonAWSLambdaLayer


def rules() -> Iterable[object]:
    return lambda_rules.rules()


def target_types() -> list[type[Target]]:
    return [PythonAWSLambdaFunction, PythonAWSLambdaLayer]
