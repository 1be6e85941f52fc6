from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}`` — a dict lookup by a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def sum_of(values):
    """``{{ amounts|sum_of }}`` — the sum of a list of Decimals (0 for an empty list)."""
    return sum(values or [], 0)
