"""Stage 3: document types. Each type knows how its documents look and how to parse them.

`layout_hints()` gathers what the types tell the PDF reader about their tables.
"""

from __future__ import annotations

from functools import cache

from pipeline.documents.deliberation_list.rows import header_map
from pipeline.documents.deliberation_list.sheets import label_words
from pipeline.model import LayoutHints


@cache
def layout_hints() -> LayoutHints:
    return LayoutHints(header_map=header_map, sheet_labels=label_words())
