"""Platform adapters: one small class per CMS family, looked up by the registry's `platform` field."""

from govcrawl.adapters.base import Link, PlatformAdapter
from govcrawl.adapters.generic import GenericAdapter
from govcrawl.adapters.trs import TrsAdapter

ADAPTERS: dict[str, type[PlatformAdapter]] = {
    GenericAdapter.platform: GenericAdapter,
    TrsAdapter.platform: TrsAdapter,
}

__all__ = ["ADAPTERS", "GenericAdapter", "Link", "PlatformAdapter", "TrsAdapter", "adapter_for"]


def adapter_for(portal) -> PlatformAdapter:
    return ADAPTERS[portal.platform](portal)
