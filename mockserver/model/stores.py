"""The small stores MockState is made of, each with its own rules: the SKU catalogue, partners and their keys,
idempotency records, orders. None of them locks: MockState does, around every use."""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mockserver.model.domain import AccessDenied, Conflict, NotFound, Order, OrderNotFound
from mockserver.model.fixtures import CatalogueEntry, PartnerFixture

# Memory bounds: the mock is meant to run for days under partners' load tests without growing without limit.
DEFAULT_MAX_IDEMPOTENCY_RECORDS = 100_000
DEFAULT_IDEMPOTENCY_TTL = timedelta(hours=24)


def utcnow() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


class Catalogue:
    """The SKU mapping: SKU -> Shopify variant id. A SKU not here is the partner's own product."""

    def __init__(self, entries: Iterable[CatalogueEntry] = ()) -> None:
        self._variants: dict[str, int] = {entry.sku: entry.shopify_variant_id for entry in entries}

    @property
    def variants(self) -> Mapping[str, int]:
        return self._variants

    def add(self, sku: str, shopify_variant_id: int) -> None:
        self._variants[sku] = shopify_variant_id

    def remove(self, sku: str) -> bool:
        return self._variants.pop(sku, None) is not None


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    key_digest: bytes


class Partners:
    """Partners and their API keys. Only SHA-256 digests of keys are kept; lookups compare in constant time."""

    def __init__(self, partners: Iterable[PartnerFixture] = ()) -> None:
        self._by_digest: dict[bytes, Partner] = {}
        for fixture in partners:
            self.add(fixture.id, fixture.name, fixture.api_key)

    def add(self, partner_id: str, name: str, api_key: str) -> Partner:
        """A new partner; 409 when the id or the key is taken."""
        if self.get(partner_id) is not None:
            raise Conflict(f"a partner with id {partner_id!r} exists already")
        partner = Partner(id=partner_id, name=name, key_digest=digest(api_key))
        if partner.key_digest in self._by_digest:
            raise Conflict("that API key belongs to another partner; choose another")
        self._by_digest[partner.key_digest] = partner
        return partner

    def get(self, partner_id: str) -> Partner | None:
        return next((partner for partner in self._by_digest.values() if partner.id == partner_id), None)

    def rotate_key(self, partner_id: str, new_key: str) -> Partner:
        """Replace a partner's key; the old key stops working at once."""
        partner = self.get(partner_id)
        if partner is None:
            raise NotFound(f"no partner has id {partner_id!r}")
        new_digest = digest(new_key)
        if new_digest in self._by_digest:
            raise Conflict("that API key is in use; choose another")
        del self._by_digest[partner.key_digest]
        rotated = Partner(id=partner.id, name=partner.name, key_digest=new_digest)
        self._by_digest[new_digest] = rotated
        return rotated

    def authenticate(self, api_key: str) -> str | None:
        """The partner id that owns `api_key`, or None."""
        key_digest = digest(api_key)
        partner = self._by_digest.get(key_digest)
        # The dict lookup is keyed by a digest the caller cannot steer; the final comparison is constant-time.
        if partner is not None and hmac.compare_digest(partner.key_digest, key_digest):
            return partner.id
        return None

    def __iter__(self) -> Iterator[Partner]:
        return iter(self._by_digest.values())


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """The answer to a cart submission: 200 with a body, or 204 with none."""

    status: int
    body: dict[str, Any] | None
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    fingerprint: str
    outcome: SubmitOutcome


class IdempotencyStore:
    """First answers by (partner, key): a key's scope is the partner that sent it. A record is kept for `ttl` and
    at most `max_records` are kept, oldest dropped first; a key whose record is gone counts as new."""

    def __init__(
        self,
        max_records: int = DEFAULT_MAX_IDEMPOTENCY_RECORDS,
        ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._records: OrderedDict[tuple[str, str], tuple[datetime, IdempotencyRecord]] = OrderedDict()
        self._max_records, self._ttl, self._clock = max_records, ttl, clock

    def get(self, partner_id: str, key: str) -> IdempotencyRecord | None:
        found = self._records.get((partner_id, key))
        if found is None:
            return None
        made, record = found
        if self._clock() - made >= self._ttl:
            del self._records[(partner_id, key)]
            return None
        return record

    def put(self, partner_id: str, key: str, record: IdempotencyRecord) -> None:
        now = self._clock()
        self._records[(partner_id, key)] = (now, record)
        self._records.move_to_end((partner_id, key))
        # Records are in creation order, so the expired and the surplus ones are all at the front.
        while self._records:
            made, _ = next(iter(self._records.values()))
            if len(self._records) <= self._max_records and now - made < self._ttl:
                break
            self._records.popitem(last=False)

    def __len__(self) -> int:
        return len(self._records)


class OrderStore:
    """Orders by id."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}

    def add(self, order: Order) -> None:
        self._orders[order.id] = order

    def get_for_partner(self, partner_id: str, order_id: str) -> Order:
        """The order, if it is this partner's; 404 for an unknown id (UUID or not), 403 for another partner's."""
        order = self.get(order_id)
        if order is None:
            raise OrderNotFound()
        if order.partner_id != partner_id:
            raise AccessDenied()
        return order

    def get(self, order_id: str) -> Order | None:
        return self._orders.get(order_id.lower())

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())
