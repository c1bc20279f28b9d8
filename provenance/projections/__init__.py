"""Read models, always rebuildable from the statements."""

from provenance.projections.subjects import State, apply, fold

__all__ = ["State", "apply", "fold"]
