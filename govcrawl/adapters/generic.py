"""Any portal: report links are marked by their text or URL; pagination by 下一页/尾页 and index_N.html."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from govcrawl.adapters.base import INDEX_PAGE, REPORT_TEXT, Link, PlatformAdapter

# Column/article URLs that name the annual report: .../ndbg/..., nianbao, zfxxgknb
REPORT_URL = re.compile(r"ndbg|nianbao|xxgknb|gknb", re.IGNORECASE)


class GenericAdapter(PlatformAdapter):
    platform = "generic"

    def is_report_link(self, link: Link) -> bool:
        path = urlsplit(link.url).path
        if INDEX_PAGE.search(path) or path.endswith("/"):
            return False  # the column's own pages
        return bool(REPORT_TEXT.search(link.text) or REPORT_URL.search(path))

    def next_pages(self, response) -> list[str]:
        return self.text_pagination(response)
