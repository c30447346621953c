"""HTTP API plumbing for AWS Lambda: the router, exact JSON, validation, identity and metrics."""
