class DocumentError(Exception):
    """Base class of the documents app's errors."""


class DocumentAlreadyIssued(DocumentError):
    """The owner already has a current document of this kind; replace it (``replaces=``) instead."""


class DocumentAlreadyReplaced(DocumentError):
    """The document named in ``replaces`` has already been replaced or cancelled."""


class DocumentCorrupted(DocumentError):
    """The stored file no longer matches the hash recorded when it was issued."""
