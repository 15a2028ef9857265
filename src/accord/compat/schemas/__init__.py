"""Stage two, for schemas: one normal form, then a comparison from the reader's side."""
