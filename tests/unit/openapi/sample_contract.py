"""A small library catalogue: the contract the OpenAPI tests describe.

It covers every shape the export must handle: path and query parameters (with
defaults and lists), bodies with and without path parameters, two errors sharing a
status, typed error info, a contract-wide error, ``requires_key`` and deprecation.
"""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

from accord import Contract, Idempotency, ServiceError, operation

Isbn = Annotated[str, msgspec.Meta(pattern=r"^\d{13}$")]
BookId = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class Genre(enum.Enum):
    """What a book is about."""

    FICTION = "fiction"
    SCIENCE = "science"
    HISTORY = "history"


class Book(msgspec.Struct, kw_only=True):
    """A book on the shelves."""

    book_id: str
    isbn: str
    title: str
    genre: Genre
    copies: int


class BookList(msgspec.Struct, kw_only=True):
    books: list[Book]


class GetBook(msgspec.Struct, kw_only=True):
    book_id: BookId


class ListBooks(msgspec.Struct, kw_only=True):
    author: str
    genre: list[Genre] = []
    limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20


class AddBook(msgspec.Struct, kw_only=True):
    """Put a new book on a shelf."""

    isbn: Isbn
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    genre: Genre
    copies: Annotated[int, msgspec.Meta(ge=1)] = 1


class UpdateBook(msgspec.Struct, kw_only=True):
    book_id: BookId
    title: str | None = None
    copies: Annotated[int, msgspec.Meta(ge=0)] | None = None


class WithdrawBook(msgspec.Struct, kw_only=True):
    book_id: BookId
    reason: str


class BookNotFound(ServiceError[None], code="catalog.book_not_found", status=404):
    """Book not found"""


class DuplicateIsbnInfo(msgspec.Struct, kw_only=True):
    isbn: str
    book_id: str


class DuplicateIsbn(ServiceError[DuplicateIsbnInfo], code="catalog.duplicate_isbn", status=409):
    """A book with this ISBN is already catalogued"""


class ShelfFullInfo(msgspec.Struct, kw_only=True):
    shelf: str
    capacity: int


class ShelfFull(ServiceError[ShelfFullInfo], code="catalog.shelf_full", status=409):
    """The shelf is full"""


class ReadOnly(ServiceError[None], code="catalog.read_only", status=503, retryable=True):
    """The catalogue is read-only for maintenance"""


class Catalog(Contract, name="catalog", version="2.3.1", errors=(ReadOnly,)):
    """Books of a small library."""

    get_book = operation(
        GetBook,
        Book,
        method="GET",
        path="/books/{book_id}",
        idempotency=Idempotency.READ_ONLY,
        timeout=1.5,
        scopes=("catalog:read",),
        errors=(BookNotFound,),
    )
    list_books = operation(
        ListBooks,
        BookList,
        method="GET",
        path="/books",
        idempotency=Idempotency.READ_ONLY,
        scopes=("catalog:read",),
    )
    add_book = operation(
        AddBook,
        Book,
        method="POST",
        path="/books",
        status=201,
        idempotency=Idempotency.REQUIRES_KEY,
        scopes=("catalog:write", "catalog:admin"),
        errors=(DuplicateIsbn, ShelfFull),
    )
    update_book = operation(
        UpdateBook,
        Book,
        method="PUT",
        path="/books/{book_id}",
        scopes=("catalog:write",),
        errors=(BookNotFound,),
    )
    withdraw_book = operation(
        WithdrawBook,
        Book,
        method="POST",
        path="/books/{book_id}/withdraw",
        summary="Withdraw a book",
        description="Takes a book out of circulation. Use `update_book` with zero copies.",
        deprecated=True,
        errors=(BookNotFound,),
    )


#: Not a contract: ``accord.toml`` files in the CLI tests point at it to provoke an error.
NOT_A_CONTRACT = object()
