"""Journeys in GraphQL: the customer's journeys, the active one, and ``resumeJourney``."""
