"""Pure geometry for wangge: no database, no web.

crs       coordinate systems used by Chinese phones (WGS-84, CGCS2000, GCJ-02, BD-09)
validate  checks every geometry that enters, in words a user can act on
coding    administrative and grid codes
locate    in-memory point -> grid locator (shapely STRtree)
division  dividing a village into grids by household count
"""
