"""wangge backend: Starlette + strawberry GraphQL over SQLAlchemy/GeoAlchemy2 (SpatiaLite or PostGIS)."""
