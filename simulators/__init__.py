"""Stand-ins for the existing channel systems, run as real HTTP servers in the demo and tests.

Empty until the federation issue lands.
"""
