"""RFM segments: recency, frequency and monetary scores (1–5, quintiles over the customers the
viewer may see, computed in SQL with ``NTILE``) named by the usual recency × frequency grid."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL = "potential"
NEW = "new"
PROMISING = "promising"
NEEDS_ATTENTION = "needs_attention"
ABOUT_TO_SLEEP = "about_to_sleep"
AT_RISK = "at_risk"
CANT_LOSE = "cant_lose"
HIBERNATING = "hibernating"
LOST = "lost"

LABELS = {
    CHAMPIONS: _("Champions"),
    LOYAL: _("Loyal customers"),
    POTENTIAL: _("Potential loyalists"),
    NEW: _("New customers"),
    PROMISING: _("Promising"),
    NEEDS_ATTENTION: _("Needs attention"),
    ABOUT_TO_SLEEP: _("About to sleep"),
    AT_RISK: _("At risk"),
    CANT_LOSE: _("Can't lose them"),
    HIBERNATING: _("Hibernating"),
    LOST: _("Lost"),
}
ORDER = list(LABELS)


def segment(r: int, f: int) -> str:
    """The segment of recency score ``r`` and frequency score ``f`` (5 = most recent / most
    frequent). The grid is the one commonly used in CRM practice."""
    if not (1 <= r <= 5 and 1 <= f <= 5):
        raise ValueError("RFM scores run from 1 to 5")
    if r >= 4 and f >= 4:
        return CHAMPIONS
    if r >= 3 and f >= 4:
        return LOYAL
    if r >= 4 and f >= 2:
        return POTENTIAL
    if r == 5 and f == 1:
        return NEW
    if r == 4 and f == 1:
        return PROMISING
    if r == 3 and f == 3:
        return NEEDS_ATTENTION
    if r == 3:
        return ABOUT_TO_SLEEP
    if f == 5:
        return CANT_LOSE
    if f >= 3:
        return AT_RISK
    if r == 2:
        return HIBERNATING
    return LOST
