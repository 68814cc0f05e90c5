"""Words for the codes the workflow uses, so pages read as English; unknown codes are humanised."""

from __future__ import annotations

_LABELS = {
    "mca_1988_s1": "Malicious Communications Act 1988 s.1",
    "ca_2003_s127": "Communications Act 2003 s.127",
    "osa_2023_s179": "Online Safety Act 2023 s.179 (false communications)",
    "osa_2023_s181": "Online Safety Act 2023 s.181 (threatening communications)",
    "poa_1986_part3": "Public Order Act 1986 Part 3 (racial hatred)",
    "poa_1986_part3a": "Public Order Act 1986 Part 3A (religious / sexual orientation hatred)",
    "pha_1997": "Protection from Harassment Act 1997",
    "nchi_recorded": "Non-crime hate incident recorded",
    "crime_recorded": "Crime recorded",
    "no_crime": "No crime",
    "referred_elsewhere": "Referred to another agency or force",
    "reported_to_platform": "Reported to the platform",
    "rejected": "Rejected (YouTube)",
    "x": "X",
    "youtube": "YouTube",
    "facebook": "Facebook",
    "instagram": "Instagram",
}


def label(code) -> str:
    """A readable label for a code such as `crime_recorded`."""
    if code is None:
        return "—"
    code = str(code)
    return _LABELS.get(code) or code.replace("_", " ").capitalize()


def is_code(value) -> bool:
    """A workflow code such as `crime_recorded` (not free text), which reads better as a label."""
    return isinstance(value, str) and "_" in value and value.replace("_", "").isalnum() and value.islower()
