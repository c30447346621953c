"""The shape of the concurrency load, one for the in-process test and the one over HTTP."""

# Clients at once: the template's reserved concurrency per function is at least this.
CONTAINERS = 8
REQUESTS = 64  # per caller
SUBJECTS = ("alice", "bob")
