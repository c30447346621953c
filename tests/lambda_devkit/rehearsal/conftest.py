"""These tests deploy to, or read from, moto on loopback (lambda_devkit.testing.fixtures)."""

from lambda_devkit.testing.fixtures import moto_server as moto_server
