"""GDPR for admins: export everything held on a customer, and erase it (issue 6)."""
