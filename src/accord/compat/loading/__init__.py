"""Stage one: reading a document (a file, a string, or a file at a git ref).

Every ``$ref`` is resolved and checked as the document is read.
"""
