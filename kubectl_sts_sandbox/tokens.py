"""Service account tokens (the TokenRequest API); filled in by the next change."""

from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from .cluster import Cluster


def authenticate(cluster: "Cluster", token: str
                 ) -> Optional[Tuple[str, List[str], str, Dict[str, List[str]]]]:
    return None
