"""The service's tests share the fixtures of lambda_devkit.testing.fixtures."""

from lambda_devkit.testing.fixtures import api_event as api_event
from lambda_devkit.testing.fixtures import lambda_context as lambda_context
from lambda_devkit.testing.fixtures import moto_server as moto_server
from lambda_devkit.testing.fixtures import store as store
