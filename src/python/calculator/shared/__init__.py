"""Code shared by the calculator's functions; shipped to Lambda in the shared layer."""
