"""The shape of the concurrency load, one for the in-process test and the one over HTTP."""

# Clients at once: the template's reserved concurrency per function is at least this.
CONTAINERS = 8
REQUESTS = 64  # per caller
SUBJECTS = ("alice", "bob")
# Over HTTP the same interleaving with fewer requests: exactly-once is proven in process
# (tests/calculator/service/test_concurrency.py); over HTTP what is at stake is that parallel
# callers, each with a token of its own, see only their own items, which 16 each show as 64 do.
HTTP_REQUESTS = 16  # per caller
