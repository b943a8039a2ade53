"""Clients for the existing channel systems (web shop, stores, OMS, contact centre, mobile).

Empty until the federation issue lands: the foundation reads only the customer graph.
"""
