"""GraphQL enums shared across domains; their values are the strings stored in the graph."""

from __future__ import annotations

from enum import Enum

import strawberry

from graph.identities import IdentityKind as GraphIdentityKind


@strawberry.enum(description="How a customer can be identified.")
class IdentityKind(Enum):
    EMAIL = "email"
    PHONE = "phone"
    LOYALTY_CARD = "loyalty_card"
    WEB_ANONYMOUS_ID = "web_anonymous_id"
    APP_INSTALL_ID = "app_install_id"
    POS_CUSTOMER_NUMBER = "pos_customer_number"
    CONTACT_CENTRE_ID = "contact_centre_id"

    def to_graph(self) -> GraphIdentityKind:
        return GraphIdentityKind(self.value)

    @classmethod
    def from_graph(cls, kind: GraphIdentityKind) -> IdentityKind:
        return cls(kind.value)


@strawberry.enum(description="A channel through which a customer touches the brand.")
class Channel(Enum):
    WEB = "web"
    APP = "app"
    STORE = "store"
    CALL_CENTRE = "call_centre"
    CHAT = "chat"
    EMAIL = "email"
    PARTNER = "partner"

    @classmethod
    def from_code(cls, code: str) -> Channel:
        """The enum member for a stored channel code (``partner:<name>`` maps to PARTNER)."""
        return cls.PARTNER if code.startswith("partner:") else cls(code)


@strawberry.enum(description="What happened in an interaction.")
class InteractionType(Enum):
    VIEW = "view"
    SEARCH = "search"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"
    CALL = "call"
    CHAT = "chat"
    EMAIL_OPEN = "email_open"
    STORE_VISIT = "store_visit"
    RETURN = "return"
    RESUME = "resume"
    ORDER_STATUS = "order_status"
    SIGN_UP = "sign_up"
