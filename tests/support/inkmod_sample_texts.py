"""Texts several test tiers share."""

HARLAN = (
    "It is worth noting that the allotment committee, having deliberated at considerable length "
    "upon the matter of water allocation, resolved that each member shall be permitted access to "
    "the municipal supply only insofar as the prevailing regulations might allow."
)
"""A stiff committee sentence: nothing like Maya's voice (examples/samples/maya)."""
