class GeoError(ValueError):
    """Bad geometry or position; the message says what is wrong in words a user can act on."""
