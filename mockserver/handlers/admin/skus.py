"""The SKU catalogue: which SKUs map to a Shopify variant."""

from __future__ import annotations

from typing import Any

from mockserver.handlers.admin.answers import Handler, no_content
from mockserver.model.state import MockState


def handlers(state: MockState) -> dict[str, Handler]:
    async def listSkus() -> Any:
        return [{"sku": sku, "shopify_variant_id": variant} for sku, variant in sorted(state.skus().items())], 200

    async def putSku(sku: str, body: dict[str, Any]) -> Any:
        state.map_sku(sku, body["shopify_variant_id"])
        return {"sku": sku, "shopify_variant_id": body["shopify_variant_id"]}, 200

    async def deleteSku(sku: str) -> Any:
        state.unmap_sku(sku)
        return no_content()

    return {"listSkus": listSkus, "putSku": putSku, "deleteSku": deleteSku}
