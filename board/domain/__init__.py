"""The rules of a board: who may do what (access, tokens), who sees a note (visibility), boards,
notes, participants, named moderator keys and the audit trail, what a row looks like to the
outside (views), the input and output shapes (schemas), the SDG catalogue (sdg), slugs, the word
filter and retention.

Each rule is a function of a `Store` and plain values, called off the event loop; every change
writes its event in the same transaction. Imports `store` and the shared modules only: never the
web, live delivery or the archive.
"""
