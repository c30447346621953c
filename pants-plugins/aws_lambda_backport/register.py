"""Placeholder."""
def rules():
    return []
def target_types():
    return []
