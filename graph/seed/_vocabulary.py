"""Fixed word lists the demo dataset draws from: French cities, stores, product families, names."""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("web", "app", "store", "call_centre", "chat", "email")

# Shelf prices per category, in euros: every system prices a SKU the same (see ``list_price``).
PRICE_BANDS: dict[str, tuple[int, int]] = {
    "sofas": (199, 1899),
    "lighting": (19, 349),
    "kitchen": (9, 449),
    "bedding": (19, 699),
    "electronics": (29, 599),
    "garden": (24, 1299),
    "storage": (29, 899),
    "decor": (9, 249),
}

CITIES: tuple[str, ...] = (
    "Paris",
    "Lyon",
    "Marseille",
    "Lille",
    "Bordeaux",
    "Nantes",
    "Toulouse",
    "Strasbourg",
    "Rennes",
    "Montpellier",
    "Nice",
    "Grenoble",
)

CATEGORIES: dict[str, tuple[str, ...]] = {
    "sofas": ("Canapé", "Méridienne", "Fauteuil", "Pouf", "Banquette"),
    "lighting": ("Lampadaire", "Suspension", "Applique", "Lampe de chevet", "Guirlande"),
    "kitchen": ("Cocotte", "Poêle", "Couteau de chef", "Robot pâtissier", "Bouilloire"),
    "bedding": ("Couette", "Oreiller", "Parure", "Matelas", "Plaid"),
    "electronics": ("Enceinte", "Casque", "Tablette", "Montre connectée", "Chargeur"),
    "garden": ("Salon de jardin", "Parasol", "Barbecue", "Jardinière", "Tondeuse"),
    "storage": ("Étagère", "Commode", "Bibliothèque", "Panier", "Armoire"),
    "decor": ("Miroir", "Vase", "Tapis", "Cadre", "Coussin"),
}

BRANDS: tuple[str, ...] = (
    "Maison Lune",
    "Atelier Nord",
    "Brico Sud",
    "Lumen",
    "Casa Viva",
    "Ondine",
    "Vergers",
    "Pixel & Co",
    "Rivage",
    "Hêtre",
)

ADJECTIVES: tuple[str, ...] = (
    "Alba",
    "Bruma",
    "Cèdre",
    "Dune",
    "Éclat",
    "Flore",
    "Givre",
    "Houle",
    "Iris",
    "Jade",
    "Kaolin",
    "Lagune",
)

FIRST_NAMES: tuple[str, ...] = (
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Emma",
    "Louise",
    "Jade",
    "Zoé",
    "Lucas",
    "Hugo",
    "Louis",
    "Nathan",
    "Gabriel",
    "Arthur",
    "Jules",
    "Adam",
    "Yanis",
    "Théo",
    "Nadia",
    "Karim",
    "Mehdi",
    "Aïcha",
    "Thomas",
    "Julie",
    "Antoine",
    "Claire",
    "Paul",
    "Marie",
)

LAST_NAMES: tuple[str, ...] = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "Benali",
    "Nguyen",
    "Haddad",
)

JOURNEY_INTENTS: tuple[tuple[str, str], ...] = (
    ("buy a sofa", "compare in store"),
    ("furnish a bedroom", "book a home visit"),
    ("get a refund", "confirm the return parcel"),
    ("equip the kitchen", "collect in store"),
    ("replace a broken lamp", "finish checkout online"),
)

CONSENT_PURPOSES: tuple[str, ...] = ("personalisation", "marketing", "partner_sharing")
