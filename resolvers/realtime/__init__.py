"""Real time: the events resolvers publish after a committed write, and the subscriptions.

The transport (Redis, processes) belongs to the gateway; this package only names the events and
the small Protocols the gateway implements.
"""
