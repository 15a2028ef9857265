"""A small contract of the runtime tests' own, and an implementation of it."""

from __future__ import annotations

from typing import Annotated

import anyio
import msgspec

from accord import Contract, Idempotency, ServiceError, operation


class Item(msgspec.Struct, forbid_unknown_fields=True):
    sku: str
    qty: Annotated[int, msgspec.Meta(gt=0)]


class PlaceOrder(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: str
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=50)]
    note: str | None = None


class OrderPlaced(msgspec.Struct):
    order_id: str
    total_items: int


class GetOrder(msgspec.Struct):
    order_id: str


class Order(msgspec.Struct):
    order_id: str
    customer_id: str


class Search(msgspec.Struct):
    customer_id: str
    limit: int = 10
    tags: list[str] = []


class Found(msgspec.Struct):
    customer_id: str
    limit: int
    tags: list[str]


class Nothing(msgspec.Struct):
    pass


class Nap(msgspec.Struct):
    seconds: float


class Woke(msgspec.Struct):
    slept: float


class UnknownOrderInfo(msgspec.Struct):
    order_id: str


class UnknownOrder(ServiceError[UnknownOrderInfo], code="sample.unknown_order", status=404):
    """No such order"""


class NotDeclared(ServiceError[None], code="sample.not_declared", status=409):
    """An error no operation declares"""


class Sample(Contract, name="sample", version="1.2.0"):
    """A shop in miniature."""

    place_order = operation(PlaceOrder, OrderPlaced, method="POST", path="/orders", status=201)
    get_order = operation(
        GetOrder,
        Order,
        method="GET",
        path="/orders/{order_id}",
        idempotency=Idempotency.READ_ONLY,
        errors=(UnknownOrder,),
    )
    search = operation(Search, Found, method="GET", idempotency=Idempotency.READ_ONLY)
    explode = operation(Nothing, Nothing, method="POST")
    wrong_error = operation(Nothing, Nothing, method="POST")
    wrong_type = operation(Nothing, Nothing, method="POST")
    nap = operation(Nap, Woke, method="POST")


class SampleV2(Contract, name="sample", version="2.0.0"):
    """The next major version."""

    get_order = operation(
        GetOrder, Order, method="GET", path="/orders/{order_id}", idempotency=Idempotency.READ_ONLY
    )


SECRET = "s3cr3t-/home/deploy/app.py"


class SampleService:
    """Answers every operation of Sample."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    async def place_order(self, request: PlaceOrder) -> OrderPlaced:
        self.seen.append(request)
        return OrderPlaced(order_id="o-1", total_items=sum(i.qty for i in request.items))

    async def get_order(self, request: GetOrder) -> Order:
        if request.order_id == "missing":
            raise UnknownOrder("order missing does not exist", UnknownOrderInfo(order_id="missing"))
        return Order(order_id=request.order_id, customer_id="c-1")

    async def search(self, request: Search) -> Found:
        return Found(customer_id=request.customer_id, limit=request.limit, tags=request.tags)

    async def explode(self, request: Nothing) -> Nothing:
        raise RuntimeError(SECRET)

    async def wrong_error(self, request: Nothing) -> Nothing:
        raise NotDeclared("this should not reach the wire")

    async def wrong_type(self, request: Nothing) -> Nothing:
        return OrderPlaced(order_id="x", total_items=1)  # type: ignore[return-value]

    async def nap(self, request: Nap) -> Woke:
        await anyio.sleep(request.seconds)
        return Woke(slept=request.seconds)


class SampleServiceV2:
    """Answers every operation of SampleV2."""

    async def get_order(self, request: GetOrder) -> Order:
        return Order(order_id=request.order_id, customer_id="v2")
