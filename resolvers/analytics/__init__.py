"""Journey analytics: the ``analytics(from, to)`` query (figures, forced contacts, incidents)."""
