"""A small honest domain for the embedded default: procedural tabletop scenes (no weights)."""
